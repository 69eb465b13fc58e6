"""The shared kernel: settings, storage and the domain types every component uses."""
