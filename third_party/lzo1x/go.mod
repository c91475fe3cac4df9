module github.com/rasky/go-lzo

go 1.26
