"""WHAT is managed: one actuator module per resource kind, behind actuators.base.Actuator."""
