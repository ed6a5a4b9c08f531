"""Exercise 9: the new weights are float64."""

EXERCISE = 9
CHANGES = [
    ('return w - lr * m_hat / (np.sqrt(v_hat) + epsilon), m, v',
     'return (w - lr * m_hat / (np.sqrt(v_hat) + epsilon)).astype(np.float64), m, v'),
]
APPEND = ''
EXPECT = 'float32 weights stay float32'
