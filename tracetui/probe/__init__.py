"""Probing: packets, transports (raw sockets, ping sockets, simulation) and the engine."""
