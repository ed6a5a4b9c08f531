"""Training and held-out data as minidl PyDatasets: fresh missing-call masks (``augmentation``), batches read and
encoded from the shards (``streaming``), fresh simulations every epoch (``onthefly``), and validation,
calibration and test replicates in memory or from the shards (``heldout``).
"""
