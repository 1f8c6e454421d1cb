module example.com/prover

go 1.24
