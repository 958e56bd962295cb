#ifndef CKERNELS_RELU_DROPOUT_LOOPS_H
#define CKERNELS_RELU_DROPOUT_LOOPS_H

// ReLU then inverted dropout, y = relu(x) * (keep * scale), and its gradient gx = (g * (keep * scale)) *
// relu'(x): the loops of ReluDropout.c's kernels, shared with Band.c's fused band rows so both compute
// the same products.

#define RELU_DROPOUT_FORWARD_LOOP                                                                   \
    for (long i = 0; i < count; i++) y[i] = (x[i] > 0 ? x[i] : 0.0f) * ((float)keep[i] * scale);

#define RELU_DROPOUT_BACKWARD_LOOP                                                                  \
    for (long i = 0; i < count; i++) gx[i] = (g[i] * ((float)keep[i] * scale)) * (x[i] > 0 ? 1.0f : 0.0f);

#endif
