# tests/ — what no one module owns: the shipped model end to end (every stage), and the data
# and helpers the modules' tests share. Every other test is registered in the local.mk of the
# module it tests.
# The slow tests (the shipped model's 200 images; its chip with RTL blocks; its energy against
# sim in both multicast modes): every make check runs
# them; .ci/run's sanitizer pass and distcheck leave them out with SPK_SLOW_TESTS= (they ran in
# its first pass), instead of skipping them.
SPK_SLOW_TESTS = %D%/cli/shipped.sh tests/rtl/sim_rtl_shipped.sh %D%/cli/energy_shipped.sh
TESTS += $(SPK_SLOW_TESTS)
# The catalogue of refusals (doc/errors.md): every row run, its status, message and no output.
TESTS += %D%/cli/errors.sh
EXTRA_DIST += %D%/cli/errors.sh
EXTRA_DIST += %D%/cli/shipped.sh %D%/cli/energy_shipped.sh %D%/data/ref/fmnist-t4-200.txt %D%/cli/lib.sh \
	%D%/data/fixtures/README.md %D%/data/fixtures/tiny-fmnist-t2.spkm %D%/data/fixtures/tiny-fmnist-t2.fixture \
	%D%/data/official-state-dict-8_512.tsv
