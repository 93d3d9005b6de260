# scale-curves.gp - make bench's scale curves (scripts/bench.sh, "scale
# curves"): each route's p50 latency through nginx at 64 connections against
# the number of rows (items and requests, about as many of each), both axes
# logarithmic. A flat line is a route whose cost does not depend on the
# data's size; a linear one would climb a decade per decade.
# Called as: gnuplot -e "datafile='F'; outfile='O.png'; ncurves=N" scale-curves.gp
set terminal pngcairo size 1000,600 font ",10" noenhanced
set output outfile
set title "opengov: p50 latency by data size (wrk -c64 through nginx, uncached)"
set xlabel "rows (items and requests, about as many of each)"
set ylabel "p50 latency, ms"
set logscale x 10
set logscale y 10
set format x "%.0s%c"
set grid xtics ytics mxtics mytics
set key outside right top
set yrange [*:*]
plot for [i=2:ncurves+1] datafile using 1:i with linespoints lw 2 pt 7 title columnheader(i)
