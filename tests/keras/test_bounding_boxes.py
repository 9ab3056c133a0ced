"""keras.utils.bounding_boxes against values recorded from Keras 3.15.1 (TF 2.21): every
format pair of convert_format, clipping with labels, IoU/CIoU (masking, formats, batching),
crop/pad, the affine warp, delta encoding/decoding, dtypes and error messages; gradients of
CIoU and of format conversion against float64 central differences."""
import numpy as np
import pytest

import tapeflow as tf
from gradcheck import check_grad

bb = tf.keras.utils.bounding_boxes
FORMATS = ["xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx",
           "rel_xywh", "rel_center_xywh"]
B = np.array([[10., 20., 50., 80.], [0., 5., 30., 10.]], "float32")
BX = np.array([[-10., 20., 250., 80.], [0., 5., 30., 110.], [190., 95., 260., 140.],
               [300, 300, 400, 400], [10., 20., 10., 80.], [-1, -1, -1, -1]], "float32")
A = np.array([[0., 0., 10., 10.], [5., 5., 15., 15.], [-1, -1, -1, -1], [-1, 0, 5, 5],
              [-2, -2, -2, -2], [-1, -1, -1, 3]], "float32")
C = np.array([[0., 0., 10., 10.], [5., 0., 15., 10.], [20, 20, 30, 30], [2, 3, 8, 12],
              [-1, -1, -1, -1]], "float32")
ANC = np.array([[0., 0., 10., 20.], [5., 5., 25., 15.], [0, 0, 0, 0], [1, 2, 3, 5]], "float32")
BOX = np.array([[1., 2., 12., 18.], [4., 6., 30., 16.], [1, 2, 3, 5], [0, 0, 0, 0]], "float32")
DL = np.array([[0.1, -0.2, 0.3, 0.5], [0, 0, 0, 0], [1, 2, -1, .5], [0, 1, 0, 1]], "float32")
_f = np.float32
AFFINE_ARGS = (np.array([20, 5], _f), np.array([0.1, 0], _f), np.array([-0.05, .1], _f),
               np.array([0.8, 1.2], _f), np.array([10, 0], _f), np.array([-20, 30], _f))

# random boxes (uniform in [0, 50), sizes added) and Keras's outputs on them

XY = {'X': [[27.440675735473633, 35.75946807861328, 57.57884216308594, 63.00362777709961],
       [21.1827392578125, 32.29470443725586, 43.06209945678711, 76.88335418701172],
       [48.18313980102539, 19.172075271606445, 87.76939392089844, 45.6168212890625],
       [28.4022274017334, 46.27983093261719, 31.954030990600586, 50.636295318603516],
       [1.0109199285507202, 41.6309928894043, 39.918758392333984, 85.13159942626953],
       [48.93091583251953, 39.95792770385742, 72.0048828125, 78.98439025878906],
       [5.913721084594727, 31.996051788330078, 13.081385612487793, 79.2294921875]],
 'Y': [[26.092416763305664, 20.733097076416016, 39.32019805908203, 59.44478225708008],
       [22.80751609802246, 28.42169761657715, 23.747005462646484, 59.30347442626953],
       [30.604785919189453, 30.84670066833496, 77.79219055175781, 64.93771362304688],
       [17.97539520263672, 21.85159683227539, 52.856956481933594, 24.862871170043945],
       [33.33833694458008, 33.53189468383789, 43.85746383666992, 39.97821044921875],
       [15.771417617797852, 18.18553924560547, 44.28125762939453, 40.11561584472656],
       [49.41869354248047, 5.102240562438965, 59.86253356933594, 13.167716026306152]]}
X, Y = np.array(XY["X"], "float32"), np.array(XY["Y"], "float32")

# what Keras 3.15.1 returns: [dtype, values] (values rounded to 6 decimals)
RECORDED = {'affine': ['float32',
            [[[27.074455, 43.230953, 84.32093, 104.250198],
              [12.762837, 44.393108, 40.153267, 64.070908]],
             [[-23.064362, -52.218185, 13.321583, -28.371185],
              [-9.541221, -27.52496, 44.551346, 71.24794]]]],
 'affine center': ['float32',
                   [[[17.187393, 24.894676, 74.433868, 85.913925],
                     [2.875775, 26.056831, 30.266207, 45.734627]],
                    [[-4.401608, 1.993114, 31.984337, 25.840113],
                     [9.121532, 26.686338, 63.2141, 125.459236]]]],
 'ciou center_yxhw': ['float32', [1.0, 0.381088, -0.349931, 0.091947, -3.999999]],
 'ciou rnd center_yxhw': ['float32',
                          [0.412764, 0.423013, 0.426397, 0.046085, -0.01093, 0.039486,
                           -0.416061]],
 'ciou rnd xywh': ['float32',
                   [0.353045, 0.359916, 0.234151, -0.175645, -0.10064, -0.156199, -0.577172]],
 'ciou rnd xyxy': ['float32',
                   [0.188913, -0.047607, 0.116965, -0.375052, -0.231842, -0.272425, -0.54441]],
 'ciou xywh': ['float32', [1.0, 0.159674, -0.512207, -0.146702, -45000000.0]],
 'ciou xyxy': ['float32', [1.0, 0.25641, -0.753434, -0.07537, -1.0]],
 'clip rel': {'dict': {'boxes': ['float32',
                                 [[0.0, 0.06666667014360428, 0.8333333134651184,
                                   0.2666666805744171],
                                  [0.0, 0.01666666753590107, 0.10000000149011612,
                                   0.36666667461395264],
                                  [0.6333333253860474, 0.3166666626930237, 0.8666666746139526,
                                   0.46666666865348816],
                                  [1.0, 1.0, 1.0, 1.0],
                                  [0.03333333507180214, 0.06666667014360428,
                                   0.03333333507180214, 0.2666666805744171],
                                  [0.0, 0.0, 0.0, 0.0]]],
                       'labels': ['int64', [1, 2, 3, -1, -1, -1]]}},
 'clip xyxy': {'dict': {'boxes': ['float32',
                                  [[0.0, 20.0, 200.0, 80.0], [0.0, 5.0, 30.0, 100.0],
                                   [190.0, 95.0, 200.0, 100.0], [200.0, 100.0, 200.0, 100.0],
                                   [10.0, 20.0, 10.0, 80.0], [0.0, 0.0, 0.0, 0.0]]],
                        'labels': ['int64', [1, 2, 3, -1, -1, -1]]}},
 'convert center_xywh center_xywh': ['float32',
                                     [[10.0, 20.0, 50.0, 80.0], [0.0, 5.0, 30.0, 10.0]]],
 'convert center_xywh center_yxhw': ['float32',
                                     [[20.0, 10.0, 80.0, 50.0], [5.0, 0.0, 10.0, 30.0]]],
 'convert center_xywh rel_center_xywh': ['float32',
                                         [[0.05, 0.2, 0.25, 0.8], [0.0, 0.05, 0.15, 0.1]]],
 'convert center_xywh rel_xywh': ['float32',
                                  [[-0.075, -0.2, 0.25, 0.8], [-0.075, 0.0, 0.15, 0.1]]],
 'convert center_xywh rel_xyxy': ['float32',
                                  [[-0.075, -0.2, 0.175, 0.6], [-0.075, 0.0, 0.075, 0.1]]],
 'convert center_xywh rel_yxyx': ['float32',
                                  [[-0.2, -0.075, 0.6, 0.175], [0.0, -0.075, 0.1, 0.075]]],
 'convert center_xywh xywh': ['float32',
                              [[-15.0, -20.0, 50.0, 80.0], [-15.0, 0.0, 30.0, 10.0]]],
 'convert center_xywh xyxy': ['float32',
                              [[-15.0, -20.0, 35.0, 60.0], [-15.0, 0.0, 15.0, 10.0]]],
 'convert center_xywh yxyx': ['float32',
                              [[-20.0, -15.0, 60.0, 35.0], [0.0, -15.0, 10.0, 15.0]]],
 'convert center_yxhw center_xywh': ['float32',
                                     [[20.0, 10.0, 80.0, 50.0], [5.0, 0.0, 10.0, 30.0]]],
 'convert center_yxhw center_yxhw': ['float32',
                                     [[10.0, 20.0, 50.0, 80.0], [0.0, 5.0, 30.0, 10.0]]],
 'convert center_yxhw rel_center_xywh': ['float32',
                                         [[0.1, 0.1, 0.4, 0.5], [0.025, 0.0, 0.05, 0.3]]],
 'convert center_yxhw rel_xywh': ['float32',
                                  [[-0.1, -0.15, 0.4, 0.5], [0.0, -0.15, 0.05, 0.3]]],
 'convert center_yxhw rel_xyxy': ['float32',
                                  [[-0.1, -0.15, 0.3, 0.35], [0.0, -0.15, 0.05, 0.15]]],
 'convert center_yxhw rel_yxyx': ['float32',
                                  [[-0.15, -0.1, 0.35, 0.3], [-0.15, 0.0, 0.15, 0.05]]],
 'convert center_yxhw xywh': ['float32',
                              [[-20.0, -15.0, 80.0, 50.0], [0.0, -15.0, 10.0, 30.0]]],
 'convert center_yxhw xyxy': ['float32',
                              [[-20.0, -15.0, 60.0, 35.0], [0.0, -15.0, 10.0, 15.0]]],
 'convert center_yxhw yxyx': ['float32',
                              [[-15.0, -20.0, 35.0, 60.0], [-15.0, 0.0, 15.0, 10.0]]],
 'convert rel_center_xywh center_xywh': ['float32',
                                         [[2000.0, 2000.0, 10000.0, 8000.0],
                                          [0.0, 500.0, 6000.0, 1000.0]]],
 'convert rel_center_xywh center_yxhw': ['float32',
                                         [[2000.0, 2000.0, 8000.0, 10000.0],
                                          [500.0, 0.0, 1000.0, 6000.0]]],
 'convert rel_center_xywh rel_center_xywh': ['float32',
                                             [[10.0, 20.0, 50.0, 80.0],
                                              [0.0, 5.0, 30.0, 10.0]]],
 'convert rel_center_xywh rel_xywh': ['float32',
                                      [[-15.0, -20.0, 50.0, 80.0], [-15.0, 0.0, 30.0, 10.0]]],
 'convert rel_center_xywh rel_xyxy': ['float32',
                                      [[-15.0, -20.0, 35.0, 60.0], [-15.0, 0.0, 15.0, 10.0]]],
 'convert rel_center_xywh rel_yxyx': ['float32',
                                      [[-20.0, -15.0, 60.0, 35.0], [0.0, -15.0, 10.0, 15.0]]],
 'convert rel_center_xywh xywh': ['float32',
                                  [[-3000.0, -2000.0, 10000.0, 8000.0],
                                   [-3000.0, 0.0, 6000.0, 1000.0]]],
 'convert rel_center_xywh xyxy': ['float32',
                                  [[-3000.0, -2000.0, 7000.0, 6000.0],
                                   [-3000.0, 0.0, 3000.0, 1000.0]]],
 'convert rel_center_xywh yxyx': ['float32',
                                  [[-2000.0, -3000.0, 6000.0, 7000.0],
                                   [0.0, -3000.0, 1000.0, 3000.0]]],
 'convert rel_xywh center_xywh': ['float32',
                                  [[7000.0, 6000.0, 10000.0, 8000.0],
                                   [3000.0, 1000.0, 6000.0, 1000.0]]],
 'convert rel_xywh center_yxhw': ['float32',
                                  [[6000.0, 7000.0, 8000.0, 10000.0],
                                   [1000.0, 3000.0, 1000.0, 6000.0]]],
 'convert rel_xywh rel_center_xywh': ['float32',
                                      [[35.0, 60.0, 50.0, 80.0], [15.0, 10.0, 30.0, 10.0]]],
 'convert rel_xywh rel_xywh': ['float32', [[10.0, 20.0, 50.0, 80.0], [0.0, 5.0, 30.0, 10.0]]],
 'convert rel_xywh rel_xyxy': ['float32', [[10.0, 20.0, 60.0, 100.0], [0.0, 5.0, 30.0, 15.0]]],
 'convert rel_xywh rel_yxyx': ['float32', [[20.0, 10.0, 100.0, 60.0], [5.0, 0.0, 15.0, 30.0]]],
 'convert rel_xywh xywh': ['float32',
                           [[2000.0, 2000.0, 10000.0, 8000.0], [0.0, 500.0, 6000.0, 1000.0]]],
 'convert rel_xywh xyxy': ['float32',
                           [[2000.0, 2000.0, 12000.0, 10000.0], [0.0, 500.0, 6000.0, 1500.0]]],
 'convert rel_xywh yxyx': ['float32',
                           [[2000.0, 2000.0, 10000.0, 12000.0], [500.0, 0.0, 1500.0, 6000.0]]],
 'convert rel_xyxy center_xywh': ['float32',
                                  [[6000.0, 5000.0, 8000.0, 6000.0],
                                   [3000.0, 750.0, 6000.0, 500.0]]],
 'convert rel_xyxy center_yxhw': ['float32',
                                  [[5000.0, 6000.0, 6000.0, 8000.0],
                                   [750.0, 3000.0, 500.0, 6000.0]]],
 'convert rel_xyxy rel_center_xywh': ['float32',
                                      [[30.0, 50.0, 40.0, 60.0], [15.0, 7.5, 30.0, 5.0]]],
 'convert rel_xyxy rel_xywh': ['float32', [[10.0, 20.0, 40.0, 60.0], [0.0, 5.0, 30.0, 5.0]]],
 'convert rel_xyxy rel_xyxy': ['float32', [[10.0, 20.0, 50.0, 80.0], [0.0, 5.0, 30.0, 10.0]]],
 'convert rel_xyxy rel_yxyx': ['float32', [[20.0, 10.0, 80.0, 50.0], [5.0, 0.0, 10.0, 30.0]]],
 'convert rel_xyxy xywh': ['float32',
                           [[2000.0, 2000.0, 8000.0, 6000.0], [0.0, 500.0, 6000.0, 500.0]]],
 'convert rel_xyxy xyxy': ['float32',
                           [[2000.0, 2000.0, 10000.0, 8000.0], [0.0, 500.0, 6000.0, 1000.0]]],
 'convert rel_xyxy yxyx': ['float32',
                           [[2000.0, 2000.0, 8000.0, 10000.0], [500.0, 0.0, 1000.0, 6000.0]]],
 'convert rel_yxyx center_xywh': ['float32',
                                  [[10000.0, 3000.0, 12000.0, 4000.0],
                                   [1500.0, 1500.0, 1000.0, 3000.0]]],
 'convert rel_yxyx center_yxhw': ['float32',
                                  [[3000.0, 10000.0, 4000.0, 12000.0],
                                   [1500.0, 1500.0, 3000.0, 1000.0]]],
 'convert rel_yxyx rel_center_xywh': ['float32',
                                      [[50.0, 30.0, 60.0, 40.0], [7.5, 15.0, 5.0, 30.0]]],
 'convert rel_yxyx rel_xywh': ['float32', [[20.0, 10.0, 60.0, 40.0], [5.0, 0.0, 5.0, 30.0]]],
 'convert rel_yxyx rel_xyxy': ['float32', [[20.0, 10.0, 80.0, 50.0], [5.0, 0.0, 10.0, 30.0]]],
 'convert rel_yxyx rel_yxyx': ['float32', [[10.0, 20.0, 50.0, 80.0], [0.0, 5.0, 30.0, 10.0]]],
 'convert rel_yxyx xywh': ['float32',
                           [[4000.0, 1000.0, 12000.0, 4000.0], [1000.0, 0.0, 1000.0, 3000.0]]],
 'convert rel_yxyx xyxy': ['float32',
                           [[4000.0, 1000.0, 16000.0, 5000.0], [1000.0, 0.0, 2000.0, 3000.0]]],
 'convert rel_yxyx yxyx': ['float32',
                           [[1000.0, 4000.0, 5000.0, 16000.0], [0.0, 1000.0, 3000.0, 2000.0]]],
 'convert xywh center_xywh': ['float32', [[35.0, 60.0, 50.0, 80.0], [15.0, 10.0, 30.0, 10.0]]],
 'convert xywh center_yxhw': ['float32', [[60.0, 35.0, 80.0, 50.0], [10.0, 15.0, 10.0, 30.0]]],
 'convert xywh rel_center_xywh': ['float32',
                                  [[0.175, 0.6, 0.25, 0.8], [0.075, 0.1, 0.15, 0.1]]],
 'convert xywh rel_xywh': ['float32', [[0.05, 0.2, 0.25, 0.8], [0.0, 0.05, 0.15, 0.1]]],
 'convert xywh rel_xyxy': ['float32', [[0.05, 0.2, 0.3, 1.0], [0.0, 0.05, 0.15, 0.15]]],
 'convert xywh rel_yxyx': ['float32', [[0.2, 0.05, 1.0, 0.3], [0.05, 0.0, 0.15, 0.15]]],
 'convert xywh xywh': ['float32', [[10.0, 20.0, 50.0, 80.0], [0.0, 5.0, 30.0, 10.0]]],
 'convert xywh xyxy': ['float32', [[10.0, 20.0, 60.0, 100.0], [0.0, 5.0, 30.0, 15.0]]],
 'convert xywh yxyx': ['float32', [[20.0, 10.0, 100.0, 60.0], [5.0, 0.0, 15.0, 30.0]]],
 'convert xyxy center_xywh': ['float32', [[30.0, 50.0, 40.0, 60.0], [15.0, 7.5, 30.0, 5.0]]],
 'convert xyxy center_yxhw': ['float32', [[50.0, 30.0, 60.0, 40.0], [7.5, 15.0, 5.0, 30.0]]],
 'convert xyxy rel_center_xywh': ['float32',
                                  [[0.15, 0.5, 0.2, 0.6], [0.075, 0.075, 0.15, 0.05]]],
 'convert xyxy rel_xywh': ['float32', [[0.05, 0.2, 0.2, 0.6], [0.0, 0.05, 0.15, 0.05]]],
 'convert xyxy rel_xyxy': ['float32', [[0.05, 0.2, 0.25, 0.8], [0.0, 0.05, 0.15, 0.1]]],
 'convert xyxy rel_yxyx': ['float32', [[0.2, 0.05, 0.8, 0.25], [0.05, 0.0, 0.1, 0.15]]],
 'convert xyxy xywh': ['float32', [[10.0, 20.0, 40.0, 60.0], [0.0, 5.0, 30.0, 5.0]]],
 'convert xyxy xyxy': ['float32', [[10.0, 20.0, 50.0, 80.0], [0.0, 5.0, 30.0, 10.0]]],
 'convert xyxy yxyx': ['float32', [[20.0, 10.0, 80.0, 50.0], [5.0, 0.0, 10.0, 30.0]]],
 'convert yxyx center_xywh': ['float32', [[50.0, 30.0, 60.0, 40.0], [7.5, 15.0, 5.0, 30.0]]],
 'convert yxyx center_yxhw': ['float32', [[30.0, 50.0, 40.0, 60.0], [15.0, 7.5, 30.0, 5.0]]],
 'convert yxyx rel_center_xywh': ['float32',
                                  [[0.25, 0.3, 0.3, 0.4], [0.0375, 0.15, 0.025, 0.3]]],
 'convert yxyx rel_xywh': ['float32', [[0.1, 0.1, 0.3, 0.4], [0.025, 0.0, 0.025, 0.3]]],
 'convert yxyx rel_xyxy': ['float32', [[0.1, 0.1, 0.4, 0.5], [0.025, 0.0, 0.05, 0.3]]],
 'convert yxyx rel_yxyx': ['float32', [[0.1, 0.1, 0.5, 0.4], [0.0, 0.025, 0.3, 0.05]]],
 'convert yxyx xywh': ['float32', [[20.0, 10.0, 60.0, 40.0], [5.0, 0.0, 5.0, 30.0]]],
 'convert yxyx xyxy': ['float32', [[20.0, 10.0, 80.0, 50.0], [5.0, 0.0, 10.0, 30.0]]],
 'convert yxyx yxyx': ['float32', [[10.0, 20.0, 50.0, 80.0], [0.0, 5.0, 30.0, 10.0]]],
 'dec center_xywh None': ['float32',
                          [[-1.498588, -5.243607, 26.997177, 16.487213], [5.0, 5.0, 10.0, 20.0],
                           [0.0, 0.0, 0.0, 0.0], [2.0, 1.281718, 3.0, 5.436563]]],
 'dec center_xywh [0.1, 0.2, 0.3, 0.4]': ['float32',
                                          [[-0.741743, -1.507014, 21.883486, 12.214027],
                                           [5.0, 5.0, 10.0, 20.0], [0.0, 0.0, 0.0, 0.0],
                                           [2.0, 0.908175, 3.0, 2.983649]]],
 'dec center_yxhw None': ['float32',
                          [[-10.487213, -0.749294, 32.974426, 13.498589],
                           [5.0, 5.0, 10.0, 20.0], [0.0, 0.0, 0.0, 0.0],
                           [2.422577, 1.0, 8.154846, 2.0]]],
 'dec center_yxhw [0.1, 0.2, 0.3, 0.4]': ['float32',
                                          [[-3.014028, -0.370872, 24.428055, 10.941743],
                                           [5.0, 5.0, 10.0, 20.0], [0.0, 0.0, 0.0, 0.0],
                                           [1.862263, 1.0, 4.475474, 2.0]]],
 'enc center_xywh None': ['float32',
                          [[-0.15, 0.6, -0.510826, 0.587787], [0.9, -0.05, 1.098612, -0.223144],
                           [25000000.0, 45000000.0, 17.216709, 17.727535],
                           [-1.166667, -1.0, -17.216709, -16.811243]]],
 'enc center_xywh [0.1, 0.2, 0.3, 0.4]': ['float32',
                                          [[-1.5, 3.0, -1.702752, 1.469467],
                                           [9.0, -0.25, 3.662041, -0.557859],
                                           [250000000.0, 225000000.0, 57.389027, 44.318836],
                                           [-11.666666, -5.0, -57.389027, -42.028107]]],
 'enc center_yxhw None': ['float32',
                          [[0.6, -0.15, 0.587787, -0.510826], [-0.05, 0.9, -0.223144, 1.098612],
                           [45000000.0, 25000000.0, 17.727535, 17.216709],
                           [-1.0, -1.166667, -16.811243, -17.216709]]],
 'enc center_yxhw [0.1, 0.2, 0.3, 0.4]': ['float32',
                                          [[6.0, -0.75, 1.959289, -1.277064],
                                           [-0.5, 4.5, -0.743812, 2.746531],
                                           [450000000.0, 125000000.0, 59.091782, 43.041771],
                                           [-10.0, -5.833333, -56.037476, -43.041771]]],
 'iou center_yxhw': ['float32',
                     [[1.0, 0.428571, 0.0, 0.4, 0.0],
                      [0.209302, 0.428571, 0.052632, 0.401747, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0],
                      [0.25, 0.129032, 0.0, 0.169082, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0],
                      [0.0, 0.0, 0.0, 0.0, -0.0]]],
 'iou mask': ['float32',
              [[1.0, 0.333333, 0.0, 0.375, 7.0], [0.142857, 0.333333, 0.0, 0.157895, 7.0],
               [7.0, 7.0, 7.0, 7.0, 7.0], [0.238095, 0.0, 0.0, 0.076923, 7.0],
               [7.0, 7.0, 7.0, 7.0, 7.0], [0.0, 0.0, 0.0, 0.0, 7.0]]],
 'iou rnd center_yxhw': ['float32',
                         [[0.437866, 0.340066, 0.644173, 0.299014, 0.483324, 0.32786, 0.06588],
                          [0.57132, 0.425365, 0.502395, 0.301227, 0.328248, 0.43207, 0.080629],
                          [0.39443, 0.233958, 0.457632, 0.230776, 0.276548, 0.304269, 0.196878],
                          [0.312797, 0.375371, 0.254571, 0.169824, 0.446337, 0.149107, 0.0],
                          [0.149763, 0.140524, 0.286163, 0.183761, 0.080139, 0.261017, 0.00449],
                          [0.257037, 0.214485, 0.494974, 0.125838, 0.294472, 0.144762, 0.11573],
                          [0.115648, 0.038294, 0.162157, 0.160584, 0.0152, 0.229353, 0.0]]],
 'iou rnd xywh': ['float32',
                  [[0.394225, 0.245694, 0.603398, 0.106427, 0.444425, 0.157452, 0.0],
                   [0.478075, 0.386839, 0.343011, 0.155082, 0.322733, 0.247989, 0.0],
                   [0.135981, 0.0, 0.291486, 0.118433, 0.186969, 0.087372, 0.0],
                   [0.377121, 0.330841, 0.283409, 0.004759, 0.279134, 0.126241, 0.0],
                   [0.110758, 0.210341, 0.070858, 0.02539, 0.049291, 0.088194, 0.0],
                   [0.090046, 0.0, 0.447463, 0.021592, 0.146074, 0.028102, 0.0],
                   [0.0, 0.0, 0.0, 0.006426, 0.0, 0.031085, 0.0]]],
 'iou rnd xyxy': ['float32',
                  [[0.267516, 0.0, 0.433594, 0.0, 0.052548, 0.053432, 0.0],
                   [0.31824, 0.025913, 0.18674, 0.0, 0.063916, 0.119689, 0.0],
                   [0.0, 0.0, 0.197156, 0.012369, 0.0, 0.0, 0.0],
                   [0.030217, 0.0, 0.003632, 0.0, 0.0, 0.0, 0.0],
                   [0.119677, 0.009738, 0.070386, 0.0, 0.0, 0.0, 0.0],
                   [0.0, 0.0, 0.298215, 0.0, 0.0, 0.0, 0.0],
                   [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]],
 'iou xywh': ['float32',
              [[1.0, 0.25, 0.0, 0.4, 0.0], [0.083333, 0.25, 0.0, 0.184502, 0.0],
               [0.0, 0.0, 0.0, 0.0, 0.0], [0.190476, 0.0, 0.0, 0.034188, 0.0],
               [0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, -0.0]]],
 'iou xyxy': ['float32',
              [[1.0, 0.333333, 0.0, 0.375, 0.0], [0.142857, 0.333333, 0.0, 0.157895, 0.0],
               [0.0, 0.0, 0.0, 0.0, 0.0], [0.238095, 0.0, 0.0, 0.076923, 0.0],
               [0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]]]}


def _check(got, key, atol=1e-4):
    dtype, values = RECORDED[key]
    got = np.asarray(got)
    assert got.dtype == np.dtype(dtype), (key, got.dtype)
    np.testing.assert_allclose(got, np.array(values), atol=atol, rtol=1e-5, err_msg=key)


@pytest.mark.parametrize("source", FORMATS)
@pytest.mark.parametrize("target", FORMATS)
def test_convert_format_every_pair(source, target):
    out = bb.convert_format(B, source, target, height=100, width=200)
    assert isinstance(out, tf.Tensor)
    _check(out, f"convert {source} {target}")


def test_convert_format_shapes_dtypes_and_dicts():
    assert bb.convert_format(B[0], "xyxy", "xywh").numpy().tolist() == [10, 20, 40, 60]
    assert bb.convert_format(B[None, None], "xyxy", "xywh").shape == (1, 1, 2, 4)
    assert bb.convert_format(np.zeros((0, 4), "float32"), "xyxy", "xywh").shape == (0, 4)
    assert bb.convert_format(B, "XYXY", "yxyx").numpy()[0].tolist() == [20, 10, 80, 50]
    assert bb.convert_format(B, "xyxy", "yxyx", dtype="float64").dtype == tf.float64
    out = bb.convert_format(B, "xyxy", "yxyx", dtype="int32")
    assert out.dtype == tf.int32 and out.numpy()[1].tolist() == [5, 0, 10, 30]
    assert bb.convert_format(B.astype("int32"), "xyxy", "yxyx").dtype == tf.float32
    assert bb.convert_format([[1., 2., 3., 4.]], "xyxy", "xywh").numpy().tolist() == \
        [[1, 2, 2, 2]]
    # a dict: its "boxes" entry replaced in place (Keras returns the same dict)
    labels = np.array([1, 2])
    d = {"boxes": B, "labels": labels}
    out = bb.convert_format(d, "xyxy", "xywh")
    assert out is d and out["labels"] is labels
    assert out["boxes"].numpy()[0].tolist() == [10, 20, 40, 60]


def test_convert_format_errors():
    supported = ("Invalid source or target format. Supported formats: ('xyxy', 'yxyx', "
                 "'xywh', 'center_xywh', 'center_yxhw', 'rel_xyxy', 'rel_yxyx', 'rel_xywh', "
                 "'rel_center_xywh')")
    for s, t in (("xyxy", "foo"), ("foo", "xyxy")):
        with pytest.raises(ValueError) as e:
            bb.convert_format(B, s, t)
        assert str(e.value) == supported
    with pytest.raises(ValueError) as e:
        bb.convert_format(B, "xyxy", "rel_xyxy", height=100)
    assert str(e.value) == (
        "convert_format() must receive `height` and `width` transforming between relative "
        "and absolute formats.convert_format() received source=`xyxy`, target=`rel_xyxy, "
        "but height=100 and width=None.")
    with pytest.raises(ValueError, match="source=`rel_xyxy`, target=`rel_yxyx, but "):
        bb.convert_format(B, "rel_xyxy", "rel_yxyx")
    with pytest.raises(ValueError) as e:
        bb.convert_format(B[:, :3], "xyxy", "xywh")
    assert str(e.value) == ("`boxes` must be a tensor with the last dimension of 4. "
                            "Received: boxes.shape=(2, 3)")


def test_clip_to_image_size():
    out = bb.clip_to_image_size({"boxes": BX, "labels": np.arange(1, 7)}, 100, 200)
    for k in ("boxes", "labels"):
        dtype, values = RECORDED["clip xyxy"]["dict"][k]
        assert out[k].dtype.name == dtype
        np.testing.assert_allclose(out[k].numpy(), values)
    out = bb.clip_to_image_size({"boxes": BX / 300, "labels": np.arange(1, 7)},
                                bounding_box_format="rel_xyxy")
    np.testing.assert_allclose(out["boxes"].numpy(), RECORDED["clip rel"]["dict"]["boxes"][1],
                               atol=1e-6)
    assert out["labels"].numpy().tolist() == RECORDED["clip rel"]["dict"]["labels"][1]
    # batched, integer boxes, float labels, no labels
    out = bb.clip_to_image_size({"boxes": BX[None].astype("int32"),
                                 "labels": np.arange(1, 7)[None].astype("float32")}, 100, 200)
    assert out["boxes"].dtype == tf.int32 and out["labels"].dtype == tf.float32
    assert out["labels"].numpy().tolist() == [[1, 2, 3, -1, -1, -1]]
    assert sorted(bb.clip_to_image_size({"boxes": BX}, 100, 200)) == ["boxes"]


def test_clip_to_image_size_errors():
    with pytest.raises(ValueError) as e:
        bb.clip_to_image_size({"boxes": BX, "labels": np.arange(6)})
    assert str(e.value) == "`height` and `width` must be set if `format='xyxy'`."
    for fmt in ("yxyx", "xywh", "rel_yxyx"):
        with pytest.raises(NotImplementedError):
            bb.clip_to_image_size({"boxes": BX, "labels": np.arange(6)}, 100, 200, fmt)
    with pytest.raises(IndexError, match="only integers, slices"):
        bb.clip_to_image_size(BX, 100, 200)


@pytest.mark.parametrize("fmt", ["xyxy", "xywh", "center_yxhw"])
def test_compute_iou_and_ciou(fmt):
    _check(bb.compute_iou(A, C, fmt), f"iou {fmt}")
    _check(bb.compute_iou(X, Y, fmt), f"iou rnd {fmt}")
    _check(bb.compute_ciou(A[:5], C, fmt), f"ciou {fmt}")
    _check(bb.compute_ciou(X, Y, fmt), f"ciou rnd {fmt}")


def test_compute_iou_masking_batching_and_dtypes():
    _check(bb.compute_iou(A, C, "xyxy", use_masking=True, mask_val=7), "iou mask")
    expected = np.array(RECORDED["iou xyxy"][1])
    np.testing.assert_allclose(bb.compute_iou(np.stack([A, A]), C, "xyxy").numpy(),
                               np.stack([expected, expected]), atol=1e-6)
    np.testing.assert_allclose(bb.compute_iou(A, np.stack([C, C]), "xyxy").numpy(),
                               np.stack([expected, expected]), atol=1e-6)
    for dt in ("int32", "float64"):
        out = bb.compute_iou(A.astype(dt), C.astype(dt), "xyxy")
        assert out.dtype == tf.float32
        np.testing.assert_allclose(out.numpy(), expected, atol=1e-6)
    # relative formats with an image shape: IoU is the same as in pixels
    np.testing.assert_allclose(
        bb.compute_iou(A / 40, C / 40, "rel_xyxy", image_shape=(40, 80, 3)).numpy(), expected,
        atol=1e-6)
    assert bb.compute_iou(np.zeros((1, 4), "float32"), np.zeros((1, 4), "float32"),
                          "xyxy").numpy().tolist() == [[0.0]]
    ciou = bb.compute_ciou(A[0], C[1], "xyxy")
    assert ciou.shape == () and ciou.dtype == tf.float32
    assert bb.compute_ciou(A[None, :5].astype("int32"), C[None].astype("int32"),
                           "xyxy").shape == (1, 5)
    np.testing.assert_allclose(bb.compute_ciou(np.array([[10, 10, 0, 0.]], "float32"),
                                               np.array([[0, 0, 5, 5.]], "float32"),
                                               "xyxy").numpy(), [-0.25], atol=1e-6)


def test_compute_iou_errors():
    msg = ("When using relative bounding box formats (e.g. `rel_yxyx`) the `image_shape` "
           "argument must be provided.Received `image_shape`: None")
    with pytest.raises(ValueError) as e:
        bb.compute_iou(A, C, "rel_xyxy")
    assert str(e.value) == msg
    # as Keras 3.15: compute_ciou refuses relative formats even with an image shape
    with pytest.raises(ValueError) as e:
        bb.compute_ciou(A, C[:3], "rel_xyxy", image_shape=(40, 40, 3))
    assert str(e.value) == msg.replace("None", "(40, 40, 3)")
    with pytest.raises(ValueError) as e:
        bb.compute_iou(A, C, "xyxy", image_shape=(40, 80))
    assert str(e.value) == "not enough values to unpack (expected 3, got 2)"
    with pytest.raises(ValueError) as e:
        bb.compute_iou(A[0], C[0], "xyxy")
    assert str(e.value) == (
        "compute_iou() expects boxes1 to be batched, or to be unbatched. Received "
        "len(boxes1.shape)=1, len(boxes2.shape)=1. Expected either len(boxes1.shape)=2 AND "
        "or len(boxes1.shape)=3.")
    with pytest.raises(ValueError, match="last dimension of 4"):
        bb.compute_iou(A[:, :3], C, "xyxy")


def test_crop_and_pad():
    for boxes in (B, B[None], B[0], B.astype("int32"), B.astype("float64")):
        out = bb.crop(boxes, 5, 8, 40, 30)
        assert out.dtype.name == boxes.dtype.name and out.shape == boxes.shape
        np.testing.assert_array_equal(out.numpy().reshape(-1, 4)[:2],
                                      [[2, 15, 30, 40], [0, 0, 22, 5]][:len(
                                          boxes.reshape(-1, 4))])
        out = bb.pad(boxes, 5, 8)
        assert out.dtype.name == boxes.dtype.name
        np.testing.assert_array_equal(out.numpy().reshape(-1, 4)[:2],
                                      [[18, 25, 58, 85], [8, 10, 38, 15]][:len(
                                          boxes.reshape(-1, 4))])
    # per-image offsets broadcast against the coordinates' [..., 1] slices, as in Keras
    out = bb.crop(B[None], np.array([5, 6]), np.array([8, 9]), 40, 30)
    assert out.numpy().tolist() == [[[2, 1, 15, 14, 30, 30, 40, 40],
                                     [0, 0, 0, 0, 22, 21, 5, 4]]]
    for fn in (lambda: bb.crop(B, 5, 8, 40, 30, "yxyx"), lambda: bb.pad(B, 5, 8, None, None,
                                                                       "rel_xyxy")):
        with pytest.raises(NotImplementedError):
            fn()
    with pytest.raises(ValueError) as e:
        bb.crop(B, 5, 8, None, None)
    assert str(e.value) == ("Attempt to convert a value (None) with an unsupported type "
                            "(<class 'NoneType'>) to a Tensor.")
    with pytest.raises(ValueError, match="with an unsupported type \\(<class 'dict'>\\)"):
        bb.pad({"boxes": B}, 5, 8)


def test_affine_transform():
    boxes = np.stack([B, B[::-1]])
    _check(bb.affine_transform(boxes, *AFFINE_ARGS, 100, 200), "affine", atol=2e-3)
    _check(bb.affine_transform(boxes, *AFFINE_ARGS, 100, 200,
                               center_x=np.array([.3, .1], _f), center_y=np.array([.6, .2], _f)),
           "affine center", atol=2e-3)
    out = bb.affine_transform(boxes.astype("int32"), *AFFINE_ARGS, 100, 200)
    assert out.dtype == tf.float32
    _check(out, "affine", atol=2e-3)
    ident = bb.affine_transform(boxes, *(np.array(v, _f) for v in ([0, 0], [0, 0], [0, 0],
                                                                   [1, 1], [0, 0], [0, 0])),
                                100, 200)
    np.testing.assert_allclose(ident.numpy(), boxes, atol=1e-4)
    with pytest.raises(NotImplementedError):
        bb.affine_transform(boxes, *AFFINE_ARGS, 100, 200, bounding_box_format="yxyx")
    with pytest.raises(IndexError, match="tuple index out of range"):
        bb.affine_transform(boxes, 20., 0.1, -0.05, 0.8, 0.1, -0.2, 100, 200)


@pytest.mark.parametrize("fmt", ["center_yxhw", "center_xywh"])
@pytest.mark.parametrize("variance", [None, [0.1, 0.2, 0.3, 0.4]])
def test_encode_decode(fmt, variance):
    enc = bb.encode_box_to_deltas(ANC, BOX, "yxyx", "xywh", fmt, variance)
    _check(enc, f"enc {fmt} {variance}", atol=1e-3)
    dec = bb.decode_deltas_to_boxes(ANC, DL, "yxyx", "xywh", fmt, variance)
    _check(dec, f"dec {fmt} {variance}", atol=1e-3)
    # decoding what was encoded gives the boxes back (away from the zero-size ones)
    back = bb.decode_deltas_to_boxes(ANC[:2], enc[:2], "yxyx", "xywh", fmt, variance)
    np.testing.assert_allclose(back.numpy(), BOX[:2], atol=1e-4)


def test_encode_decode_batching_dicts_and_errors():
    enc = bb.encode_box_to_deltas(ANC[:2], np.stack([BOX[:2]] * 3), "xyxy", "xyxy")
    assert enc.shape == (3, 2, 4) and enc.dtype == tf.float32
    np.testing.assert_allclose(enc.numpy()[1, 0], [0, 0.15, -0.22314353, 0.0953102], atol=1e-6)
    assert bb.encode_box_to_deltas(ANC.astype("int32"), BOX.astype("int32"), "xyxy",
                                   "xyxy").dtype == tf.float32
    out = bb.decode_deltas_to_boxes({"a": ANC[:2], "b": ANC[:1]}, {"a": enc[0], "b": enc[0, :1]},
                                    "xyxy", "xyxy")
    assert sorted(out) == ["a", "b"]
    np.testing.assert_allclose(out["a"].numpy(), BOX[:2], atol=1e-4)
    with pytest.raises(ValueError) as e:
        bb.encode_box_to_deltas(ANC, BOX, "xyxy", "xyxy", "xyxy")
    assert str(e.value) == ("`encoding_format` should be one of 'center_xywh' or "
                            "'center_yxhw', got xyxy")
    with pytest.raises(ValueError) as e:
        bb.decode_deltas_to_boxes(ANC, DL, "xyxy", "xyxy", "xyxy")
    assert str(e.value) == ("`encoded_format` should be 'center_xywh' or 'center_yxhw', but "
                            "got 'xyxy'.")
    with pytest.raises(ValueError) as e:  # the variance is checked first, as in Keras
        bb.encode_box_to_deltas(ANC, BOX, "xyxy", "xyxy", "xyxy", variance=[0.1, 0.2])
    assert str(e.value) == "`variance` must be length 4, got [0.1 0.2]"
    with pytest.raises(ValueError) as e:
        bb.decode_deltas_to_boxes(ANC, DL, "xyxy", "xyxy", variance=[1, 2, 3])
    assert str(e.value) == "`variance` must be length 4, got [1. 2. 3.]"
    with pytest.raises(ValueError, match="source=`rel_xyxy`, target=`center_yxhw, but "):
        bb.encode_box_to_deltas(ANC / 40, BOX / 40, "rel_xyxy", "rel_xyxy")


def test_gradients_against_finite_differences():
    from tapeflow.keras.utils.bounding_boxes import _ciou

    rng = np.random.default_rng(0)
    b1 = rng.uniform(0, 10, (5, 4))
    b2 = rng.uniform(0, 10, (5, 4))
    b1[:, 2:] += b1[:, :2] + 1
    b2[:, 2:] += b2[:, :2] + 1
    check_grad(_ciou, b1, b2)
    check_grad(lambda a: bb.convert_format(a, "center_xywh", "rel_yxyx", 7, 9,
                                           dtype="float64"), b1)


def test_module_listing_and_docstrings():
    assert sorted(bb.__all__) == ["affine_transform", "clip_to_image_size", "compute_ciou",
                                  "compute_iou", "convert_format", "crop",
                                  "decode_deltas_to_boxes", "encode_box_to_deltas", "pad"]
    assert "bounding_boxes" in dir(tf.keras.utils)
    import doctest

    for name in bb.__all__:
        fn = getattr(bb, name)
        assert fn.__doc__
        test = doctest.DocTestParser().get_doctest(fn.__doc__, {"tf": tf, "np": np}, name,
                                                   None, 0)
        runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
        runner.run(test)
        assert runner.failures == 0, name
