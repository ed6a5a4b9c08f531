def sgd_step(w, g, velocity, lr, momentum, nesterov):
    velocity = momentum * velocity - lr * g
    if nesterov:
        return w + momentum * velocity - lr * g, velocity
    return w + velocity, velocity
