/* Percentiles for the benchmarks. */
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

inline double percentile (std::vector<double> v, double p)
{
  if (v.empty ())
    return NAN;
  std::sort (v.begin (), v.end ());
  double rank = p / 100.0 * (v.size () - 1);
  size_t lo = (size_t)std::floor (rank), hi = (size_t)std::ceil (rank);
  return v[lo] + (v[hi] - v[lo]) * (rank - lo);
}
