"""`make bench`: turn latency and throughput against raw Rasa, search scaling, memory, start time."""
