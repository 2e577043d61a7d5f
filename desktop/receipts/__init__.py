"""Printed copay estimates: layout (pure), PDF drawing, numbers, history and check values."""
