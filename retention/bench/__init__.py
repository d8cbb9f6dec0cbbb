"""The benchmark (make bench): generate at scale, time the builds, run the peers, report."""
