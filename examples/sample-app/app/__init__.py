"""A deliberately flawed payments module: the input for Plumbline's gate fixtures."""
