"""numpy round trips without copies: Tensor.numpy(), __array__ and from_numpy share
memory (np.shares_memory), keep their owner alive, and refuse what cannot be shared."""
import gc

import numpy as np
import pytest

import tensorgrad as tg


@pytest.mark.parametrize("dtype,np_dtype", [(tg.float32, np.float32), (tg.float64, np.float64),
                                            (tg.int64, np.int64), (tg.bool, np.bool_)])
def test_numpy_view_shares_memory_for_every_dtype(dtype, np_dtype):
    t = tg.zeros(3, 4, dtype=dtype)
    a = t.numpy()
    assert a.dtype == np_dtype and a.shape == (3, 4)
    assert a.ctypes.data == t.data_ptr()
    a[1, 2] = 1
    assert t[1, 2].item() == 1


def test_numpy_of_a_view_keeps_strides():
    t = tg.arange(12, dtype=tg.float64).reshape(3, 4)
    v = t.transpose(0, 1)[1:]
    a = v.numpy()
    assert a.shape == (3, 3) and a.strides == (8, 32)
    assert a.tolist() == v.tolist() == [[1, 5, 9], [2, 6, 10], [3, 7, 11]]
    assert np.shares_memory(a, t.numpy())


def test_from_numpy_shares_memory_both_ways():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = tg.from_numpy(a)
    assert t.data_ptr() == a.ctypes.data
    a[0, 0] = 42
    assert t[0, 0].item() == 42
    t[1] = 7
    assert a[1].tolist() == [7, 7, 7]
    assert np.shares_memory(t.numpy(), a)
    assert np.shares_memory(np.asarray(t), a)


def test_from_numpy_keeps_strided_arrays_as_views():
    a = np.arange(20, dtype=np.int64).reshape(4, 5)[::2, 1::2]
    t = tg.from_numpy(a)
    assert t.shape == (2, 2) and t.stride() == (10, 2) and t.tolist() == a.tolist()
    assert np.shares_memory(t.numpy(), a)


def test_lifetimes_across_the_bridge():
    a = np.ones(1000, dtype=np.float64)
    t = tg.from_numpy(a)
    del a
    gc.collect()
    assert t.sum().item() == 1000  # the tensor keeps the array alive
    u = tg.full((1000,), 2.0)
    b = u.numpy()
    del u
    gc.collect()
    assert b.sum() == 2000  # the array keeps the tensor's storage alive


def test_array_protocol():
    t = tg.tensor([[1.0, 2.0]])
    assert np.asarray(t).dtype == np.float32 and np.array(t, dtype=np.float64).dtype == np.float64
    assert np.add(t, 1).tolist() == [[2, 3]]
    assert isinstance(np.ones(2, dtype=np.float32) * tg.tensor([2.0, 3.0]), tg.Tensor)


def test_refusals():
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad. "
                                           "Use tensor.detach\\(\\).numpy\\(\\) instead."):
        tg.ones(2, requires_grad=True).numpy()
    assert tg.ones(2, requires_grad=True).detach().numpy().tolist() == [1, 1]
    with pytest.raises(ValueError, match="negative"):
        tg.from_numpy(np.arange(4.0)[::-1])
    with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.uint8"):
        tg.from_numpy(np.zeros(2, dtype=np.uint8))
    with pytest.raises(TypeError, match="expected np.ndarray"):
        tg.from_numpy([1, 2])


def test_as_tensor_shares_when_it_can():
    a = np.ones(3, dtype=np.float32)
    assert np.shares_memory(tg.as_tensor(a).numpy(), a)
    assert not np.shares_memory(tg.as_tensor(a, dtype=tg.float64).numpy(), a)
    b = np.ones(3, dtype=np.int32)
    assert tg.as_tensor(b).dtype is tg.int64


def test_an_array_keeps_its_storage_when_the_tensor_takes_new_data():
    t = tg.zeros(100000)
    n = t.numpy()
    t.data = tg.ones(100000)
    other = tg.full((100000,), 7.0)  # would reuse the freed block
    assert n.sum() == 0.0 and other.sum().item() == 700000.0
