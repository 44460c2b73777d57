"""The shell: the root config that assembles the stages' sections, the `yuqing` CLI, the daemon and
scheduler, the demo and the privacy commands. The only place that imports across stages, and the
place that wires stages which must not import each other (`wiring.py`)."""
