# tests/ — suites not owned by one module: the CLI dispatcher, the Python (pytest) suite.
# Module unit tests (cmocka) are registered in each module's local.mk.
TESTS += %D%/cli/cli.sh %D%/python/pytest.sh %D%/cli/shipped.sh
EXTRA_DIST += %D%/cli/cli.sh %D%/cli/shipped.sh %D%/data/ref/fmnist-t4-200.txt %D%/cli/lib.sh %D%/python/pytest.sh %D%/python/test_model.py %D%/python/test_export.py \
	%D%/data/fixtures/README.md %D%/data/fixtures/tiny-fmnist-t2.spkm %D%/data/fixtures/tiny-fmnist-t2.fixture \
	%D%/data/official-state-dict-8_512.tsv
