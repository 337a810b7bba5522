"""The engine: the Project pipeline (project.py) and the stages that touch the world or
orchestrate them: observe, diff, plan/, apply (walk) + gates, ports, the LocalHost adapter."""
