// lockstep.h — the command line the lock-step harnesses share (tests/rtl/*_lockstep.cpp):
//
//   NAME [--arch FILE] [--cycles N] [--seed S] [--configs K]
//
// Each harness says which of --arch and --configs it takes, gives its defaults in the struct and
// prints its own usage; a value-less or unknown option is a usage error (exit status 2).
#ifndef SPK_TESTS_RTL_LOCKSTEP_H
#define SPK_TESTS_RTL_LOCKSTEP_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace spk_lockstep {

struct opts {
	const char *arch = nullptr;	// --arch FILE
	uint64_t cycles = 100000;	// --cycles N
	uint64_t seed = 1;		// --seed S
	uint64_t configs = 0;		// --configs K (0: the harness's default)
};

// Parses argv into o. -1: go on; else the exit status to return (0 after --help, 2 for a bad
// option or a missing --arch when the harness needs one), usage(f, status) printed.
inline int parse(int argc, char **argv, opts &o, bool need_arch, bool takes_configs,
		 int (*usage)(FILE *, int))
{
	for (int i = 1; i < argc; i++) {
		if (!std::strcmp(argv[i], "--help"))
			return usage(stdout, 0);
		if (i + 1 >= argc)
			return usage(stderr, 2);
		if (need_arch && !std::strcmp(argv[i], "--arch"))
			o.arch = argv[++i];
		else if (!std::strcmp(argv[i], "--cycles"))
			o.cycles = std::strtoull(argv[++i], nullptr, 10);
		else if (!std::strcmp(argv[i], "--seed"))
			o.seed = std::strtoull(argv[++i], nullptr, 10);
		else if (takes_configs && !std::strcmp(argv[i], "--configs"))
			o.configs = std::strtoull(argv[++i], nullptr, 10);
		else
			return usage(stderr, 2);
	}
	if (need_arch && o.arch == nullptr)
		return usage(stderr, 2);
	return -1;
}

} // namespace spk_lockstep

#endif
