"""Parses every exposition in a directory with python3-prometheus-client's strict parsers: files named
<anything>.text with the text-format parser, <anything>.openmetrics with the OpenMetrics parser.
Prints one line per file that does not parse ("<file>: <error>") and exits 0; exit 2 if the module is
missing. Usage: parse_many.py <directory>"""
import os
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families as parse_text
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
except ImportError as error:
    print(error, file=sys.stderr)
    sys.exit(2)

directory = sys.argv[1]
for name in sorted(os.listdir(directory)):
    parse = parse_openmetrics if name.endswith(".openmetrics") else parse_text if name.endswith(".text") else None
    if parse is None:
        continue
    with open(os.path.join(directory, name), encoding="utf-8") as f:
        body = f.read()
    try:
        for family in parse(body):
            for _ in family.samples:
                pass
    except Exception as error:  # the parser's own message is the useful part
        print(f"{name}: {type(error).__name__}: {error}")
