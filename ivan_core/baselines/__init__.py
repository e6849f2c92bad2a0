"""The comparison methods iVAN is measured against: synthesis (:mod:`ivan_core.baselines.synthesis`)
and fusion (:mod:`ivan_core.baselines.fusion`)."""
