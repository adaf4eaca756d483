"""Reads Prometheus text on stdin with the Prometheus project's own Python parser, and writes
its samples as one JSON object: {"name{label=value,...}": value}. A text the parser refuses
exits non-zero with its error."""

import json
import sys

from prometheus_client.parser import text_string_to_metric_families

samples = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    for sample in family.samples:
        labels = ",".join(f"{key}={value}" for key, value in sorted(sample.labels.items()))
        samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
json.dump(samples, sys.stdout)
