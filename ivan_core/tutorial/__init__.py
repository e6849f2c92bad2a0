"""The tutorial harness on top of the library: profiles, experiment glue, results, reporting, the runner."""
