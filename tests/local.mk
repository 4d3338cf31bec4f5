# tests/ — what no one module owns: the shipped model end to end (every stage), and the data
# and helpers the modules' tests share. Every other test is registered in the local.mk of the
# module it tests.
TESTS += %D%/cli/shipped.sh
EXTRA_DIST += %D%/cli/shipped.sh %D%/data/ref/fmnist-t4-200.txt %D%/cli/lib.sh \
	%D%/data/fixtures/README.md %D%/data/fixtures/tiny-fmnist-t2.spkm %D%/data/fixtures/tiny-fmnist-t2.fixture \
	%D%/data/official-state-dict-8_512.tsv
