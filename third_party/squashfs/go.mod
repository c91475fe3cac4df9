module github.com/CalebQ42/squashfs

go 1.24.0

require (
	github.com/klauspost/compress v1.18.0
	github.com/pierrec/lz4/v4 v4.1.22
	github.com/rasky/go-lzo v0.0.0-20200203143853-96a758eda86e
	github.com/therootcompany/xz v1.0.1
	github.com/ulikunitz/xz v0.5.12
)
