"""The wall's benchmark: fan-out, latency, overload, connect and history, beside two references."""
