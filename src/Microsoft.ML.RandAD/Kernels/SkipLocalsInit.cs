// The JIT zeroes every stackalloc buffer unless told not to, and for a buffer of kilobytes it does so with a loop of 16-byte
// pushes: a convolution job's padded image (20 KB for a 14×14×16 layer padded by 2) was zeroed that way on every call, 88 % of
// that method's own time, besides the Clear it then made. Every stackalloc in this assembly is written before it is read; a
// buffer that must start at zero clears itself (DirectConvolution.ConvolutionJob.RunRange, RowVector.SumRows, PooledRows).
[module: System.Runtime.CompilerServices.SkipLocalsInit]
