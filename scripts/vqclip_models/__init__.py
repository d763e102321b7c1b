"""Our own definitions of the CLIP and VQGAN architectures (parameter names as
in the official checkpoints) and the writer of vqclip model bundles."""
