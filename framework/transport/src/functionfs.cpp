// The FunctionFS gadget: see seedval/transport/functionfs.h.
