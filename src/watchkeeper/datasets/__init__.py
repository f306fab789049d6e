"""Datasets: profiles received over time, merged into hourly and daily batches per
segment, compared with a baseline and with the previous batch, and judged by monitors."""
