"""The live harness: a fake Anthropic API with faults, the simulated service, a real Prometheus and Alertmanager stack, the demo."""
