"""Parses an exposition from stdin with python3-prometheus-client and prints what it understood as
JSON lines: one {"family", "type", "unit", "help", "name", "labels", "value"} per sample.
Usage: parse_exposition.py text|openmetrics. A parse error exits 1 with the parser's message."""
import json
import math
import sys

mode = sys.argv[1]
body = sys.stdin.read()
if mode == "openmetrics":
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
else:
    from prometheus_client.parser import text_string_to_metric_families


def number(value):
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


try:
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            print(json.dumps({
                "family": family.name,
                "type": family.type,
                "unit": getattr(family, "unit", ""),
                "help": family.documentation,
                "name": sample.name,
                "labels": sample.labels,
                "value": number(sample.value),
            }, ensure_ascii=False))
except Exception as error:  # the parser's own message is the useful part
    print(f"{type(error).__name__}: {error}", file=sys.stderr)
    sys.exit(1)
