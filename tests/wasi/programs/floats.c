/* tests/wasi/programs/floats.c: floating point through printf and libm. Results that IEEE
 * fixes exactly (arithmetic, sqrt, rounding, fmod) are printed in full; those of
 * transcendental functions, where C libraries may differ in the last ulp, with 12
 * significant digits. */
#include <float.h>
#include <math.h>
#include <stdio.h>

static volatile double vd[] = {0.0, -0.0, 1.0, -1.5, 0.1, 1.0 / 3.0, 2.5, 3.5, -2.5,
                               123456789.125, 1e-300, 1e300, 6.02214076e23, 1.602176634e-19,
                               DBL_MAX, DBL_MIN, DBL_EPSILON, 4503599627370497.0};
static volatile float vf[] = {0.1f, 1.0f / 3.0f, 16777217.0f, 3.4028235e38f, 1.17549435e-38f};

int main(void) {
  for (unsigned i = 0; i < sizeof vd / sizeof vd[0]; i++) {
    double x = vd[i];
    printf("%u: f=%f e=%e g=%g a=%a .17g=%.17g\n", i, x, x, x, x, x);
    printf("   .3f=%.3f .0f=%.0f 12.4e=%12.4e -12g=%-12g| #g=%#g\n", x, x, x, x, x);
  }
  for (unsigned i = 0; i < sizeof vf / sizeof vf[0]; i++)
    printf("float %u: %.9g %a %f\n", i, (double)vf[i], (double)vf[i], (double)vf[i]);
  printf("specials: %f %f %f %e %g %a\n", INFINITY, -INFINITY, NAN, -INFINITY, NAN, INFINITY);
  printf("big: %.0f\n", 1e22);
  printf("big: %f\n", 1.7976931348623157e308 / 1e290);
  printf("small: %.20f %.30e\n", 1e-10, 5e-324);

  /* exact operations */
  volatile double a = 2.0, b = 10.0, c = -7.25;
  printf("sqrt=%.17g fma=%.17g fmod=%.17g remainder=%.17g\n", sqrt(a), fma(a, b, c), fmod(b, 3.0),
         remainder(b, 3.0));
  printf("floor=%g ceil=%g round=%g trunc=%g rint=%g nearbyint=%g lround=%ld\n", floor(c), ceil(c),
         round(c), trunc(c), rint(2.5), nearbyint(3.5), lround(-2.5));
  printf("fabs=%g copysign=%g fmin=%g fmax=%g ldexp=%g frexp=", fabs(c), copysign(3.0, c),
         fmin(a, c), fmax(a, c), ldexp(0.75, 10));
  int ex;
  double m = frexp(1000.0, &ex);
  printf("%g*2^%d modf=", m, ex);
  double ip;
  double fp = modf(c, &ip);
  printf("%g+%g\n", ip, fp);
  printf("float ops: %.9g %.9g %.9g\n", (double)sqrtf(2.0f), (double)(vf[0] * 3.0f),
         (double)(float)(1.0 / 3.0));
  printf("conversions: %d %u %lld %.17g %.9g\n", (int)-3.99, (unsigned)3.99, (long long)-1e18,
         (double)(long long)9007199254740993LL, (double)(float)16777217);

  /* transcendental functions, to 12 digits */
  for (double x = -2.0; x <= 3.0; x += 0.625) {
    printf("x=%6.3f sin=%.12g cos=%.12g tan=%.12g atan=%.12g exp=%.12g", x, sin(x), cos(x), tan(x),
           atan(x), exp(x));
    if (x > 0)
      printf(" log=%.12g log10=%.12g log2=%.12g", log(x), log10(x), log2(x));
    printf(" cbrt=%.12g tanh=%.12g\n", cbrt(x), tanh(x));
  }
  printf("pow=%.12g %.12g %.12g hypot=%.12g atan2=%.12g expm1=%.12g log1p=%.12g\n", pow(2.0, 0.5),
         pow(10.0, -3.0), pow(-2.0, 3.0), hypot(3.0, 4.0), atan2(-1.0, -1.0), expm1(1e-10),
         log1p(1e-10));
  printf("sinf=%.6g expf=%.6g powf=%.6g\n", (double)sinf(1.0f), (double)expf(2.0f),
         (double)powf(3.0f, 0.25f));
  printf("classify: %d %d %d %d %d\n", isnan(vd[0] / vd[0]), isinf(1.0 / vd[0]), isfinite(vd[2]),
         signbit(vd[1]) != 0, fpclassify(vd[15] / 4) == FP_SUBNORMAL);
  return 0;
}
