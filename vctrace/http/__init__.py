"""HTTP service face (calls vctrace.app only). Not built yet: filled by issue 10."""
