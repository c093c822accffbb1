#include "microheal/model/skin_kernel.hpp"

#include <string>
#include <utility>

#include "microheal/core/error.hpp"

namespace microheal::model {

namespace {

/// Diffusivity per voxel = base * factor[v], stored as a z-plane factor when the factor is
/// constant on every plane (a flat layered block: nz numbers instead of one per voxel), else per
/// voxel.
void set_diffusivity(solver::DiffusionSpec& spec, double base_mm2_per_h, const grid::Grid& grid,
                     const std::vector<double>& factor) {
  const Index plane = grid.nx() * grid.ny();
  bool layered = true;
  for (Index k = 0; k < grid.nz() && layered; ++k) {
    const double first = factor[static_cast<std::size_t>(k * plane)];
    for (Index v = k * plane; v < (k + 1) * plane; ++v) {
      if (factor[static_cast<std::size_t>(v)] != first) {
        layered = false;
        break;
      }
    }
  }
  spec.diffusivity_mm2_per_h = base_mm2_per_h;
  if (layered) {
    spec.z_factor.resize(static_cast<std::size_t>(grid.nz()));
    for (Index k = 0; k < grid.nz(); ++k) {
      spec.z_factor[static_cast<std::size_t>(k)] = factor[static_cast<std::size_t>(k * plane)];
    }
  } else {
    spec.voxel_diffusivity_mm2_per_h.resize(factor.size());
    for (std::size_t v = 0; v < factor.size(); ++v) {
      spec.voxel_diffusivity_mm2_per_h[v] = base_mm2_per_h * factor[v];
    }
  }
}

/// 1 where fibroblasts may random-walk, 0 where a neighbour has a larger positive F0 (the low
/// side of a jump between two niches) or where there is no niche (F0 = 0). One zero voxel per
/// jump suffices: the face diffusivity is the harmonic mean, 0 when either side is 0.
std::vector<double> fibroblast_motility_factor(const grid::Grid& grid, std::span<const double> f0,
                                               const grid::Boundary& boundary) {
  std::vector<double> factor(f0.size(), 0.0);
  const std::array<Index, 3> extent = grid.extent();
  for (Index k = 0; k < extent[2]; ++k) {
    for (Index j = 0; j < extent[1]; ++j) {
      for (Index i = 0; i < extent[0]; ++i) {
        const Index v = grid.index(i, j, k);
        const double own = f0[static_cast<std::size_t>(v)];
        if (!(own > 0.0))
          continue;
        bool low_side = false;
        const std::array<Index, 3> ijk{i, j, k};
        for (int axis = 0; axis < 3 && !low_side; ++axis) {
          const bool wraps = boundary.periodic(static_cast<grid::Axis>(axis));
          for (const Index step : {Index{-1}, Index{1}}) {
            std::array<Index, 3> other = ijk;
            other[static_cast<std::size_t>(axis)] += step;
            Index& o = other[static_cast<std::size_t>(axis)];
            const Index size = extent[static_cast<std::size_t>(axis)];
            if (o < 0 || o >= size) {
              if (!wraps)
                continue;
              o = (o + size) % size;
            }
            const double neighbour =
                f0[static_cast<std::size_t>(grid.index(other[0], other[1], other[2]))];
            if (neighbour > own) {
              low_side = true;
              break;
            }
          }
        }
        factor[static_cast<std::size_t>(v)] = low_side ? 0.0 : 1.0;
      }
    }
  }
  return factor;
}

}  // namespace

CoefficientFields::CoefficientFields(Index num_voxels) {
  for (auto& field : _data)
    field.assign(static_cast<std::size_t>(num_voxels), 0.0);
}

void CoefficientFields::set(Index v, const VoxelCoefficients& values) {
  const auto array = values.as_array();
  for (std::size_t q = 0; q < num_coefficients; ++q)
    _data[q][static_cast<std::size_t>(v)] = array[q];
}

VoxelCoefficients CoefficientFields::at(Index v) const {
  const auto i = static_cast<std::size_t>(v);
  return {_data[0][i], _data[1][i], _data[2][i], _data[3][i]};
}

std::vector<std::span<const double>> CoefficientFields::spans() const {
  return {_data.begin(), _data.end()};
}

SkinKernel::SkinKernel(const Parameters& p) {
  _v.k_d = p[Param::k_d];
  _v.q_N = p[Param::q_N];
  _v.q_M = p[Param::q_M];
  _v.s_Id = p[Param::s_Id];
  _v.s_IN = p[Param::s_IN];
  _v.s_IM = p[Param::s_IM];
  _v.K_IM = p[Param::K_IM];
  _v.k_I = p[Param::k_I];
  _v.r_N = p[Param::r_N];
  _v.K_NI = p[Param::K_NI];
  _v.k_N = p[Param::k_N];
  _v.e_NM = p[Param::e_NM];
  _v.r_M = p[Param::r_M];
  _v.K_MI = p[Param::K_MI];
  _v.r_MN = p[Param::r_MN];
  _v.k_M = p[Param::k_M];
  _v.s_TM = p[Param::s_TM];
  _v.K_TI = p[Param::K_TI];
  _v.k_T = p[Param::k_T];
  _v.r_F = p[Param::r_F];
  _v.a_FT = p[Param::a_FT];
  _v.K_FT = p[Param::K_FT];
  _v.inv_F_max = 1.0 / p[Param::F_max];
  // Homeostatic death rate that balances proliferation at F = F0 (notes §4).
  _v.delta_F = p[Param::r_F] * (1.0 - _v.inv_F_max);
  _v.p_C = p[Param::p_C];
  _v.K_CT = p[Param::K_CT];
  _v.C_max = p[Param::C_max];
  _v.k_mat = p[Param::k_mat];
  _v.k_rem = p[Param::k_rem];
  _v.k_MMP = p[Param::k_MMP];
  _v.f_MMP = p[Param::f_MMP];
  _v.k_Cm = p[Param::k_Cm];
  _v.a_W = p[Param::a_W];
  _v.k_W = p[Param::k_W];
  _v.k_ep = p[Param::k_ep];
  _v.lam_ep = p[Param::lam_ep];
  const double cm = p[Param::cm_ep];
  const double h = p[Param::h_ep];
  const double alpha = p[Param::alpha_ep];
  _v.cm2_ep = cm * cm;
  _v.alpha2_ep = alpha * alpha;
  // beta makes s(1) = 1 (notes §1.1); sigma(c) = s(c) - 1 then has the factor (c - 1) with
  // coefficient A (analytically A = 1 - beta = 1 - s(0)).
  const double beta = (1.0 + cm * cm - 2.0 * h * cm) / ((1.0 - cm) * (1.0 - cm));
  _v.A_ep = 2.0 * cm * (h - beta) / (cm * cm + 1.0);
}

SkinKernel::State SkinKernel::homeostasis(const VoxelCoefficients& c) {
  State u = State::Zero();
  u(eigen_index(Species::fibroblasts)) = c.baseline_fibroblasts;
  u(eigen_index(Species::mature_collagen)) = c.baseline_collagen;
  const double epidermal = c.epidermis_fraction > 0.0 ? 1.0 : 0.0;
  u(eigen_index(Species::keratinocytes)) = epidermal;
  u(eigen_index(Species::regulator)) = epidermal;
  return u;
}

double redness(double cytokine, const Parameters& p) {
  return cytokine / (p[Param::K_E] + cytokine);
}

SkinKernel::State injured_state(const SkinKernel::State& u, const VoxelInjury& injury,
                                const Parameters& p) {
  for (const double measure : {injury.track_fraction, injury.damage, injury.bleeding}) {
    if (!(measure >= 0.0 && measure <= 1.0)) {
      throw core::InputError("injured_state: injury measures must be in [0, 1], got " +
                             std::to_string(measure));
    }
  }
  if (injury.track_fraction == 0.0 && injury.damage == 0.0 && injury.bleeding == 0.0)
    return u;
  const double f = injury.track_fraction;
  const double kept = 1.0 - p[Param::phi_fib];
  SkinKernel::State punctured = u;
  punctured(eigen_index(Species::fibroblasts)) *= kept;
  punctured(eigen_index(Species::new_collagen)) *= kept;
  punctured(eigen_index(Species::mature_collagen)) *= kept;
  punctured(eigen_index(Species::keratinocytes)) = 0.0;
  // Volume average of the punctured part and the rest; f = 1 gives the punctured part exactly.
  SkinKernel::State result = (1.0 - f) * u + f * punctured;
  const double d = u(eigen_index(Species::damage));
  result(eigen_index(Species::damage)) = d + injury.damage - d * injury.damage;
  result(eigen_index(Species::tgf_beta)) += p[Param::T_bleed] * injury.bleeding;
  return result;
}

SkinKernel::State punctured_state(const VoxelCoefficients& c, bool bleeding, const Parameters& p) {
  return injured_state(SkinKernel::homeostasis(c), {1.0, 1.0, bleeding ? 1.0 : 0.0}, p);
}

std::vector<solver::DiffusionSpec> diffusion_specs(const Parameters& p,
                                                   const grid::Boundary& boundary) {
  std::vector<solver::DiffusionSpec> specs(num_species);
  for (std::size_t s = 0; s < num_species; ++s) {
    specs[s].mobile = species_table[s].mobile;
    specs[s].boundary = boundary;
  }
  specs[index(Species::cytokine)].diffusivity_mm2_per_h = p[Param::D_I];
  specs[index(Species::neutrophils)].diffusivity_mm2_per_h = p[Param::D_N];
  specs[index(Species::macrophages)].diffusivity_mm2_per_h = p[Param::D_M];
  specs[index(Species::tgf_beta)].diffusivity_mm2_per_h = p[Param::D_T];
  specs[index(Species::fibroblasts)].diffusivity_mm2_per_h = p[Param::D_F];
  specs[index(Species::keratinocytes)].diffusivity_mm2_per_h = p[Param::D_n];
  specs[index(Species::regulator)].diffusivity_mm2_per_h = p[Param::D_c];
  return specs;
}

std::vector<solver::DiffusionSpec> diffusion_specs(const Parameters& p, const grid::Grid& grid,
                                                   const CoefficientFields& coefficients,
                                                   const grid::Boundary& boundary,
                                                   std::span<const double> solute_factor) {
  const auto voxels = static_cast<std::size_t>(grid.num_voxels());
  if (coefficients.num_voxels() != grid.num_voxels()) {
    throw core::InputError("diffusion_specs: coefficient fields have " +
                           std::to_string(coefficients.num_voxels()) + " voxels, the grid " +
                           std::to_string(grid.num_voxels()));
  }
  if (!solute_factor.empty() && solute_factor.size() != voxels) {
    throw core::InputError("diffusion_specs: the solute diffusivity factor has " +
                           std::to_string(solute_factor.size()) + " values, the grid " +
                           std::to_string(voxels) + " voxels");
  }
  std::vector<solver::DiffusionSpec> specs = diffusion_specs(p, boundary);

  std::vector<double> solute(voxels, 1.0);
  if (!solute_factor.empty())
    solute.assign(solute_factor.begin(), solute_factor.end());
  set_diffusivity(specs[index(Species::cytokine)], p[Param::D_I], grid, solute);
  set_diffusivity(specs[index(Species::tgf_beta)], p[Param::D_T], grid, solute);

  const std::span<const double> epidermis = coefficients[Coefficient::epidermis];
  const std::vector<double> epidermal(epidermis.begin(), epidermis.end());
  std::vector<double> epidermal_solute(voxels);
  for (std::size_t v = 0; v < voxels; ++v)
    epidermal_solute[v] = epidermal[v] * solute[v];
  set_diffusivity(specs[index(Species::keratinocytes)], p[Param::D_n], grid, epidermal);
  set_diffusivity(specs[index(Species::regulator)], p[Param::D_c], grid, epidermal_solute);

  set_diffusivity(
      specs[index(Species::fibroblasts)], p[Param::D_F], grid,
      fibroblast_motility_factor(grid, coefficients[Coefficient::baseline_fibroblasts], boundary));
  return specs;
}

std::vector<solver::ChemotaxisSpec> chemotaxis_specs(const Parameters& p) {
  return {
      {index(Species::neutrophils), index(Species::cytokine), p[Param::chi_N], p[Param::vmax_N]},
      {index(Species::macrophages), index(Species::cytokine), p[Param::chi_M], p[Param::vmax_M]},
      {index(Species::fibroblasts), index(Species::tgf_beta), p[Param::chi_F], p[Param::vmax_F]},
  };
}

}  // namespace microheal::model
