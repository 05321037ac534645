"""The IVR's pure domain: flows as data, the engine that steps through them, what it says."""
