#!/usr/bin/env bash
# Thumbnails per second on one core for 12-megapixel JPEGs, and peak RSS: Sluice's decoder
# (bench/thumbnail_bench: the thumbnailer's make_thumbnails, 512 + 128 px WebP, streamed through a
# socket) next to libvips' own CLI, vipsthumbnail, on the same files (512 px WebP, one libvips
# thread). Both pinned to one CPU.
#   bench/thumbnails.sh [--images N] [--build DIR]
set -euo pipefail
images=20
build=build/release
while (($#)); do
  case "$1" in
    --images) images=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
bench="$build/bench/thumbnail_bench"
[[ -x $bench ]] || { echo "build $bench first (cmake --build $build --target thumbnail_bench)" >&2; exit 2; }
command -v vipsthumbnail >/dev/null || { echo "vipsthumbnail missing (apt-get install libvips-tools)" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# A 4000x3000 photo-like image (noise over a gradient: real JPEG work, ~3-4 MB at Q 90).
vips gaussnoise "$dir/noise.v" 4000 3000 --sigma 40 --mean 128
vips xyz "$dir/xyz.v" 4000 3000
vips extract_band "$dir/xyz.v" "$dir/x.v" 0
vips add "$dir/noise.v" "$dir/x.v" "$dir/sum.v"
vips bandjoin "$dir/sum.v $dir/noise.v $dir/sum.v" "$dir/rgb.v"
vips cast "$dir/rgb.v" "$dir/rgb8.v" uchar
vips copy "$dir/rgb8.v" "$dir/img.jpg[Q=90]"
files=()
for i in $(seq 1 "$images"); do cp "$dir/img.jpg" "$dir/p$i.jpg"; files+=("$dir/p$i.jpg"); done
echo "$images JPEGs of 4000x3000 ($(du -k "$dir/img.jpg" | cut -f1) KiB each), one CPU"
taskset -c 0 "$bench" "${files[@]}"
mkdir "$dir/out"
start=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$dir/rss" taskset -c 0 vipsthumbnail --vips-concurrency=1 -s 512 \
  -o "$dir/out/%s.webp" "${files[@]}"
end=$(date +%s.%N)
awk -v n="$images" -v s="$start" -v e="$end" -v rss="$(cat "$dir/rss")" \
  'BEGIN { printf "vipsthumbnail (512 webp, 1 thread):   %d images in %.2f s = %.2f images/s, peak RSS %d MiB\n", n, e - s, n / (e - s), rss / 1024 }'
