"""Our own definitions of the CLIP and VQGAN architectures, with the parameter
names of the official checkpoints, and the way from those checkpoints to a
vqclip bundle:
  clip_arch, clip_resnet      CLIP (ViT / ModifiedResNet) and its bundle modules
  vqgan_modules, vqgan_arch   taming VQModel / GumbelVQ and their bundle modules
  checkpoints                 official presets and checkpoint readers
  bundle                      write_bundle: scripted modules + vqclip.json
  fixtures                    small inputs in the official formats, for tests"""
