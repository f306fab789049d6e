"""Ready-made entry points for platforms watchkeeper runs on."""
