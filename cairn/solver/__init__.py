"""Pure-Python optimisers over plain dataclasses (no Django): portfolio selection and,
later, roadmap scheduling. The web app, the CLI and the benchmarks all call these."""
