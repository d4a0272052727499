"""The lab's own images: catalogue, Debian root, builds, bundles and inventory."""
