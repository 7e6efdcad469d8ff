#!/usr/bin/env bash
# Installs the Debian 12 packages tipsim needs to build, test and analyse,
# when they are missing. Non-interactive and idempotent; run as root.
#
# With TIPSIM_WITH_MPI=ON in the environment (or --mpi), also what the MPI
# build needs (docs/cluster.md): Open MPI and parallel HDF5.
set -euo pipefail
with_mpi=${TIPSIM_WITH_MPI:-OFF}
[[ ${1:-} == --mpi ]] && with_mpi=ON

packages=(
  # build
  build-essential cmake ninja-build pkg-config git
  # a compiler cache that every checkout shares (CMakeLists.txt: TIPSIM_CCACHE)
  ccache
  # libraries
  libtbb-dev libboost-dev libhdf5-dev libtomlplusplus-dev libcli11-dev librandom123-dev libstb-dev
  # tests and benchmarks
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  # sanitizer builds (GCC's ASan, UBSan and TSan runtimes) and fuzzing
  # (clang with libFuzzer and its sanitizer runtimes): scripts/ci.sh, scripts/fuzz.sh
  libasan8 libubsan1 libtsan2 clang libclang-rt-14-dev
  # reading run files: HDF5 and netCDF tools, the Python analysis stack
  hdf5-tools netcdf-bin udunits-bin python3-h5py python3-numpy python3-xarray python3-h5netcdf python3-pytest
  # the analysis package (analysis/): tables, figures, t-intervals; installed
  # offline into a virtual environment (scripts/install-analysis.sh), whose
  # notebook (analysis/examples/) Jupyter's nbconvert executes in the tests
  python3-pandas python3-matplotlib python3-scipy python3-venv python3-setuptools python3-wheel
  python3-nbconvert python3-nbclient python3-ipykernel
  # reading run files in R: Rscript and hdf5r, for analysis/examples/read_run.R and its test
  r-base-core r-cran-hdf5r
  # checks: pyflakes over the Python code (analysis/, scripts/, tests/python/)
  pyflakes3
  # the viewer (tipsim-viewer): Dear ImGui, GLFW, OpenGL, a readable font, and
  # a virtual display for its screenshot tests
  libimgui-dev libglfw3-dev libgl-dev fonts-dejavu-core xvfb xauth
)

case ${with_mpi^^} in
  ON | 1 | YES | TRUE) packages+=(libopenmpi-dev openmpi-bin libhdf5-openmpi-dev) ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: missing packages: ${missing[*]}" >&2
  echo "setup: run as root (or with sudo) to install them" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
