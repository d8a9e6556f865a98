"""A real multi-hop network in namespaces, built and torn down by the test suite."""
