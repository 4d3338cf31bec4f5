// verilated_rt.cpp — Verilator's runtime, compiled once into rtl/libverilated.la for every
// Verilated model of the build (the lock-step tests, the co-simulated network). Verilator
// ships it as sources to be compiled with the models (doc/rtl.md "Build").
#include "verilated.cpp"
#include "verilated_threads.cpp"
#include "verilated_fst_c.cpp"
