"""The config file: defaults for any long option, the theme and key remaps, in TOML.

``$XDG_CONFIG_HOME/tracetui/config.toml`` (``~/.config/...`` of the user who
ran sudo, under sudo), or ``--config FILE``::

    interval = 0.5          # any long option, without its dashes
    report-wide = true      # a flag: true to set it
    order = "LSD NBAW"
    dns-server = ["198.18.0.53"]
    theme = "nord"

    [keys]                  # binding id = key(s), as in the help screen
    pause = "space"

Each setting becomes the option it names, placed before ``TRACETUI_OPTIONS``
and the command line, which therefore win. A malformed file, an unknown
setting or a bad value is one line naming the file and the line, and exit 2.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any, NamedTuple

from tracetui.settings.config import Config, DnsServer, ListenAddress
from tracetui.settings.userdirs import config_dir

# options that are not defaults (they act once, or name the file itself)
_NOT_SETTINGS = frozenset(
    {"help", "version", "config", "print-config", "print-completion", "print-man"}
)


class ConfigError(Exception):
    pass


def config_path(option: str | None) -> Path | None:
    """The file to read: --config, else the usual place if it exists, else None."""
    if option is not None:
        return Path(option).expanduser()
    path = config_dir() / "config.toml"
    try:
        return path if path.is_file() else None
    except OSError:  # a home this user may not enter has no config for it
        return None


class ConfigFile(NamedTuple):
    tokens: tuple[str, ...]
    """The settings as command-line options."""
    keymap: tuple[tuple[str, str], ...]
    theme: str | None
    origins: tuple[tuple[str, str], ...] = ()
    """("theme" or "keys.<binding>", "FILE line N"): see Config.origins."""

    @classmethod
    def empty(cls) -> ConfigFile:
        return cls((), (), None)

    @classmethod
    def load(cls, path: Path | None, parser: argparse.ArgumentParser) -> ConfigFile:
        """Raises ConfigError (one line) for anything wrong with the file."""
        if path is None:
            return cls.empty()
        return _load(path, parser)


def _load(path: Path, parser: argparse.ArgumentParser) -> ConfigFile:
    import tomllib

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    options = _long_options(parser)
    tokens: list[str] = []
    keymap: list[tuple[str, str]] = []
    theme = None
    origins: list[tuple[str, str]] = []
    for key, value in data.items():
        line = _line_of(text, key)
        where = f"{path} line {line}"
        if key == "theme":
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{where}: theme must be a theme name")
            theme = value
            origins.append(("theme", where))
        elif key == "keys":
            keymap = _keymap(value, where)
            for binding, _keys in keymap:
                origins.append((f"keys.{binding}", f"{path} line {_line_of(text, binding, line)}"))
        elif key in options and key not in _NOT_SETTINGS:
            tokens += _tokens(options[key], key, value, where)
        else:
            raise ConfigError(f"{where}: unknown setting {key!r}")
    return ConfigFile(tuple(tokens), tuple(keymap), theme, tuple(origins))


def _long_options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    out: dict[str, argparse.Action] = {}
    for action in parser._actions:
        if action.help == argparse.SUPPRESS:
            continue  # a setting's quiet twin, not a name of its own
        for option in action.option_strings:
            if option.startswith("--"):
                out[option[2:]] = action
    return out


def _line_of(text: str, key: str, after: int = 0) -> int:
    """The line that sets ``key`` (the first after line ``after``: a table's own keys)."""
    pattern = re.compile(rf"^\s*(\[\s*)?[\"']?{re.escape(key)}[\"']?\s*[=\]]")
    for number, line in enumerate(text.splitlines(), start=1):
        if number > after and pattern.match(line):
            return number
    return max(after, 1)


def _keymap(value: Any, where: str) -> list[tuple[str, str]]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [keys] must be a table of binding id = key")
    out = []
    for binding, keys in value.items():
        if not isinstance(keys, str) or not keys.strip():
            raise ConfigError(f'{where}: keys.{binding} must be a key name such as "space"')
        out.append((str(binding), keys))
    return out


def _tokens(action: argparse.Action, key: str, value: Any, where: str) -> list[str]:
    # a setting whose option also acts (mtr's -w asks for the report) has a quiet twin
    option = getattr(action, "SETTING", f"--{key}")
    if action.nargs == 0:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: {key} is a flag: true or false")
        return [option] if value else []
    values = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not isinstance(action, argparse._AppendAction):
        raise ConfigError(f"{where}: {key} takes one value, not a list")
    tokens = []
    for item in values:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise ConfigError(f"{where}: {key} needs a value such as a number or a string")
        text = str(item)
        if callable(action.type):
            try:
                action.type(text)
            except argparse.ArgumentTypeError as exc:
                raise ConfigError(f"{where}: {exc}") from None
        if action.choices is not None and text not in action.choices:
            raise ConfigError(f"{where}: {key} must be one of {', '.join(action.choices)}")
        tokens.append(f"{option}={text}")
    return tokens


def as_toml(parser: argparse.ArgumentParser, args: argparse.Namespace, config: Config) -> str:
    """The effective configuration, as a config file would say it: every long option the
    parser has (so a new option is here without a line of its own), with the value the
    file, ``TRACETUI_OPTIONS`` and the command line gave it, then the theme and keys."""
    lines = [
        "# tracetui's effective configuration",
        "# (built-in < config file < TRACETUI_OPTIONS < command line)",
    ]
    if config.host is not None:
        lines.append(f"# target: {config.host}")
    for key, action in _long_options(parser).items():
        if key in _NOT_SETTINGS or key != _long_name(action) or not _is_setting(action):
            continue  # not a setting, or an alias (--size of --psize)
        value = getattr(args, action.dest, None)
        if isinstance(action, argparse._StoreConstAction):  # flags, store_true included
            value = value == action.const
        elif action.dest == "format":  # a format that names its file (--html FILE)
            value = (args.output or "-") if value == action.const else None
        if value is None:
            lines.append(f"# {key} is not set")
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    if config.theme is None:
        lines.append("# theme is not set")
    else:
        lines.append(f"theme = {_toml_value(config.theme)}")
    if config.keymap:
        lines += ["", "[keys]"]
        lines += [f"{binding} = {_toml_value(keys)}" for binding, keys in config.keymap]
    return "\n".join(lines) + "\n"


def _long_name(action: argparse.Action) -> str | None:
    """The name a config file gives it: the first long one a TOML key can be (a dot would
    make a table: --web.config.file is web-config-file there)."""
    names = [o[2:] for o in action.option_strings if o.startswith("--")]
    return next((n for n in names if "." not in n), names[0] if names else None)


def _is_setting(action: argparse.Action) -> bool:
    """Options that take a value or set a flag; not those that only refuse (--sctp)."""
    return action.nargs != 0 or isinstance(action, argparse._StoreConstAction)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, DnsServer | ListenAddress):
        return _toml_value(str(value))
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
