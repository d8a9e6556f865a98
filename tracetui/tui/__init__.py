"""The live screen (Textual). The only package that imports textual."""
