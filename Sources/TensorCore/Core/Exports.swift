// SeededGenerator is part of TensorCore's API (random tensors, initialisers, dropout streams), so a
// module that imports TensorCore gets it too.
@_exported import Randomness
