/**
 * Fixed codebooks of the 4-bit float formats, at full precision. These are dtype facts: the dtype
 * table points at them, nothing else spells them out. Learned (VQ) codebooks are tensor data, not here.
 */

/**
 * NF4 (NormalFloat4), the 16 levels of QLoRA (Dettmers et al. 2023, §3 and Appendix E), exactly as
 * bitsandbytes evaluates them (`create_normal_map(offset=0.9677083)`, normalised to max 1 in float32;
 * the same literals its CUDA dequantize kernel uses). Code i decodes to NF4_VALUES[i] * scale.
 * @example
 * NF4_VALUES[0] === -1 && NF4_VALUES[7] === 0 && NF4_VALUES[15] === 1
 */
export const NF4_VALUES: readonly number[] = Object.freeze([
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
  -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
  0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
  0.7229568362236023, 1.0,
]);

/**
 * FP4 E2M1 (OCP Microscaling spec v1.0, §5.3.3): 1 sign bit, 2 exponent bits (bias 1), 1 mantissa
 * bit, no Inf/NaN. Code bits are `s e e m`; code i decodes to FP4_E2M1_VALUES[i].
 *
 * ```
 *  code  0    1    2    3    4    5    6    7  |  8..15: the same with the sign bit set
 *  value 0   0.5   1   1.5   2    3    4    6  |  -0 -0.5 -1 -1.5 -2 -3 -4 -6
 * ```
 * @example
 * FP4_E2M1_VALUES[5] === 3 && FP4_E2M1_VALUES[13] === -3
 */
export const FP4_E2M1_VALUES: readonly number[] = Object.freeze([
  0, 0.5, 1, 1.5, 2, 3, 4, 6, -0, -0.5, -1, -1.5, -2, -3, -4, -6,
]);
