# %D%/ — documentation, installed under $(docdir).
dist_doc_DATA += %D%/arch.md %D%/development.md %D%/formats.md %D%/semantics.md \
	%D%/reference.md %D%/architecture.md %D%/mapper.md %D%/simulator.md
