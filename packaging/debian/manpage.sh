#!/bin/sh
# Writes edge_exporter(1) in roff to stdout from `edge_exporter --help`, so the page lists exactly
# the flags the binary has. Usage: manpage.sh <edge_exporter binary> <version> <date, YYYY-MM-DD>
set -eu

binary=$1
version=$2
date=$3

# roff: a backslash is \e, a hyphen in a flag is a minus (\-), and a line may not start with . or '.
escape='s/\\/\\e/g; s/-/\\-/g; s/^[.'"'"']/\\\&&/'

cat <<HEAD
.TH EDGE_EXPORTER 1 "$date" "edge_exporter $version" "User Commands"
.SH NAME
edge_exporter \- Prometheus exporter for edge devices
.SH SYNOPSIS
.B edge_exporter
.RI [ flags ]
.SH DESCRIPTION
HEAD
"$binary" --help | sed -n '3p' | sed "$escape"
cat <<'BODY'
.PP
It serves the metrics on /metrics (port 9847 unless \fB\-\-web.listen\-address\fR says otherwise)
and a status page on /. As a service it reads its devices from
\fI/etc/edge_exporter/edge_exporter.yml\fR and extra flags from \fBARGS\fR in
\fI/etc/default/edge_exporter\fR.
.SH OPTIONS
.\" Flag texts hold long regular expressions: left-aligned and unhyphenated, so none need stretching.
.ad l
.nh
BODY
# "  -h, --[no-]help      Show context-sensitive help.": the flag column ends at the first two spaces.
# A regular expression may be wider than the page: \: lets roff break it after each |.
"$binary" --help | sed -n '/^Flags:$/,$p' | sed '1d' | sed "$escape" | sed 's/|/|\\:/g' | awk '
	{
		sub(/^ +/, "")
		gap = index($0, "  ")
		if (gap == 0) next
		flag = substr($0, 1, gap - 1)
		text = substr($0, gap)
		sub(/^ +/, "", text)
		printf ".TP\n\\fB%s\\fR\n%s\n", flag, text
	}'
cat <<'TAIL'
.SH FILES
.TP
.I /etc/edge_exporter/edge_exporter.yml
The devices to poll; check it with \fBedge_exporter \-\-config.check \-\-config.file=\fR\fIpath\fR.
.TP
.I /etc/default/edge_exporter
\fBARGS\fR: extra flags for the service.
.TP
.I /var/lib/edge_exporter/textfile_collector
*.prom files for the textfile collector.
.SH SEE ALSO
.BR systemctl (1),
.BR systemd-sysusers (8)
TAIL
